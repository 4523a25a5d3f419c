import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_META } from '../../scripts/build.ts';
import { test } from 'node:test';
import { flowFile, harrier, REPO_ROOT, tempStateDir } from '../support/harrier.ts';

const CLIENT_LIBRARIES = /\/node_modules\/(dockerode|docker-modem|@kubernetes\/client-node|google-auth-library|gaxios|pg|pg-[a-z-]+)\//;

/**
 * The modules `harrier <args>` loaded, as URLs: the files of node_modules it loaded itself, and the
 * modules inside each bundle file it loaded (from esbuild's metafile, as `/dist/src/...` and
 * `/node_modules/...` URLs of where they were bundled from).
 */
async function modulesLoadedBy(args: string[]): Promise<{ code: number | null; stderr: string; modules: string[] }> {
  const trace = join(mkdtempSync(join(tmpdir(), 'harrier-trace-')), 'modules.txt');
  const result = await harrier(args, {
    env: { NODE_OPTIONS: `--import=${join(REPO_ROOT, 'test/support/trace-modules.ts')}`, HARRIER_TRACE_MODULES: trace },
  });
  const meta = JSON.parse(readFileSync(BUNDLE_META, 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  const modules = readFileSync(trace, 'utf8').split('\n').flatMap((url) => {
    const bundled = url.startsWith('file://') ? meta.outputs[relative(REPO_ROOT, fileURLToPath(url))] : undefined;
    return bundled ? Object.keys(bundled.inputs).map((input) => `file://${join(REPO_ROOT, input)}`) : [url];
  });
  return { code: result.code, stderr: result.stderr, modules };
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
