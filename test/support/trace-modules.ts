/**
 * Loaded with `--import`: writes the URL of every module the process loaded to the file named by
 * HARRIER_TRACE_MODULES when it exits, so a test can tell which libraries a command pulled in.
 */
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set<string>();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => writeFileSync(process.env.HARRIER_TRACE_MODULES!, [...loaded].join('\n')));
