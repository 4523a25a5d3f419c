import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLE_META } from '../../scripts/build.ts';
import { test } from 'node:test';
import { flowFile, harrier, REPO_ROOT, tempStateDir } from '../support/harrier.ts';

const CLIENT_LIBRARIES = /\/node_modules\/(dockerode|docker-modem|@kubernetes\/client-node|google-auth-library|gaxios|pg|pg-[a-z-]+)\//;

interface Coverage {
  result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
}

/**
 * The modules `harrier <args>` loaded, as URLs: the files it loaded itself (builtins, node_modules),
 * and the modules of the bundle that ran (as `/dist/src/...` and `/node_modules/...` URLs of where
 * they were bundled from). The bundle is one file: esbuild wraps each module reached by a dynamic
 * import in a function named after its path and called on first import, so V8's coverage tells which
 * ran; a module with no such function is evaluated with the bundle's top level, always.
 */
async function modulesLoadedBy(args: string[]): Promise<{ code: number | null; stderr: string; modules: string[] }> {
  const work = mkdtempSync(join(tmpdir(), 'harrier-trace-'));
  const trace = join(work, 'modules.txt');
  const coverage = join(work, 'coverage');
  const result = await harrier(args, {
    env: { NODE_OPTIONS: `--import=${join(REPO_ROOT, 'test/support/trace-modules.ts')}`, HARRIER_TRACE_MODULES: trace, NODE_V8_COVERAGE: coverage },
  });
  const meta = JSON.parse(readFileSync(BUNDLE_META, 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  const [bundleFile, bundle] = Object.entries(meta.outputs).find(([output]) => output.endsWith('.cjs'))!;
  const bundleUrl = pathToFileURL(join(REPO_ROOT, bundleFile)).href;
  const wrappers = new Map<string, boolean>();
  for (const file of readdirSync(coverage)) {
    const scripts = (JSON.parse(readFileSync(join(coverage, file), 'utf8')) as Coverage).result.filter((script) => script.url === bundleUrl);
    for (const fn of scripts.flatMap((script) => script.functions)) {
      if (Object.hasOwn(bundle.inputs, fn.functionName)) wrappers.set(fn.functionName, (wrappers.get(fn.functionName) ?? false) || fn.ranges[0].count > 0);
    }
  }
  assert.ok(wrappers.size > 0, `no coverage of ${bundleUrl}: did the bundle run?`);
  const bundled = Object.keys(bundle.inputs).filter((input) => wrappers.get(input) !== false).map((input) => `file://${join(REPO_ROOT, input)}`);
  return { code: result.code, stderr: result.stderr, modules: [...readFileSync(trace, 'utf8').split('\n'), ...bundled] };
}

test('a flow of local processes loads neither the Docker, the Kubernetes, Google\'s nor the PostgreSQL client library', async () => {
  const flow = flowFile([
    'id: local', 'namespace: test', 'tasks:',
    '  - id: sh', '    type: shell.Commands', '    commands: [echo hi]',
    '  - id: py', '    type: python.Script', '    script: print("hi")', '    taskRunner: {type: Process}',
    '  - id: log', '    type: Log', '    message: done',
  ].join('\n'));
  const { code, stderr, modules } = await modulesLoadedBy(['run', flow, '--state-dir', tempStateDir()]);
  assert.equal(code, 0, stderr);
  assert.ok(modules.some((url) => url.endsWith('/dist/src/runners/process/process-runner.js')), 'the process runner did load');
  assert.ok(modules.some((url) => url.endsWith('/dist/src/runners/docker/schema.js')), 'the Docker schema is known to the checker');
  assert.ok(modules.some((url) => url.includes('/node_modules/zod/')), 'bundled libraries are seen too (zod checks the flow)');
  assert.deepEqual(modules.filter((url) => CLIENT_LIBRARIES.test(url)), []);
});

test('--version and --help load neither the runner table nor zod', async () => {
  for (const args of [['--version'], ['--help']]) {
    const { code, stderr, modules } = await modulesLoadedBy(args);
    assert.equal(code, 0, stderr);
    assert.deepEqual(modules.filter((url) => /\/node_modules\/zod\/|\/src\/runners\/table\.js$/.test(url)), [], args.join(' '));
  }
});

test('a flow of one Log task loads neither node:child_process nor node:worker_threads (start-up)', async () => {
  const flow = flowFile(['id: log', 'namespace: test', 'tasks:', '  - id: log', '    type: Log', '    message: hi'].join('\n'));
  const { code, stderr, modules } = await modulesLoadedBy(['run', flow, '--state-dir', tempStateDir()]);
  assert.equal(code, 0, stderr);
  assert.ok(modules.includes('node:sqlite'), 'builtins are seen too (the store opened node:sqlite)');
  assert.deepEqual(modules.filter((url) => /^node:(child_process|worker_threads)$/.test(url)), []);
});

test('a flow of one Log task never calls into ICU (toLocaleString, localeCompare, Intl): its first call costs 5 to 10 ms', async () => {
  const flow = flowFile(['id: log', 'namespace: test', 'tasks:', '  - id: log', '    type: Log', '    message: hi'].join('\n'));
  const trace = join(mkdtempSync(join(tmpdir(), 'harrier-trace-')), 'icu.txt');
  const result = await harrier(['run', flow, '--state-dir', tempStateDir()], {
    env: { NODE_OPTIONS: `--import=${join(REPO_ROOT, 'test/support/trace-icu.ts')}`, HARRIER_TRACE_ICU: trace },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(trace, 'utf8'), '');
});
