/**
 * `npm run build` (run by `prepare`, so by `npm ci` and `npm pack`): one tsc pass that type-checks
 * the project and writes its JavaScript to dist/; the installed package runs dist/bin/harrier.js.
 * `--no-check` only writes the JavaScript (a targeted `npm test -- FILE`, which must not run stale code).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..');

/** Builds dist/; returns tsc's exit status (0 when the build is complete). */
export function build(options: { check: boolean }): number {
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT, ...(options.check ? [] : ['--noCheck'])], { stdio: 'inherit' });
  if (tsc.status !== 0) return tsc.status ?? 1;
  // A shell runs the bin of a clone (`npx harrier`) by its shebang; npm sets the mode of an installed one.
  chmodSync(join(ROOT, 'dist/bin/harrier.js'), 0o755);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(build({ check: !process.argv.includes('--no-check') }));
