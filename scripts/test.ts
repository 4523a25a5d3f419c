/**
 * `npm test`: type-check, then every `*.test.ts` under test/ with Node's test runner.
 * Extra arguments narrow the run: `npm test -- test/unit/expr`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path).sort().flatMap((name) => (name === 'node_modules' ? [] : collect(join(path, name))));
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test']).flatMap(collect);

if (!roots.length) {
  const typecheck = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], { stdio: 'inherit' });
  if (typecheck.status !== 0) {
    console.error('type check failed');
    process.exit(typecheck.status ?? 1);
  }
}

const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=3', '--test-reporter=spec', '--test-timeout=600000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
