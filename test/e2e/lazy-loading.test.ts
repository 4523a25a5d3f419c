import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowFile, harrier, REPO_ROOT, tempStateDir } from '../support/harrier.ts';

const CLIENT_LIBRARIES = /\/node_modules\/(dockerode|docker-modem|@kubernetes\/client-node|google-auth-library|gaxios)\//;

/** The modules `harrier <args>` loaded, as URLs. */
async function modulesLoadedBy(args: string[]): Promise<{ code: number | null; stderr: string; modules: string[] }> {
  const trace = join(mkdtempSync(join(tmpdir(), 'harrier-trace-')), 'modules.txt');
  const result = await harrier(args, {
    env: { NODE_OPTIONS: `--import=${join(REPO_ROOT, 'test/support/trace-modules.ts')}`, HARRIER_TRACE_MODULES: trace },
  });
  return { code: result.code, stderr: result.stderr, modules: readFileSync(trace, 'utf8').split('\n') };
}

test('a flow of local processes loads neither the Docker, the Kubernetes nor Google\'s client library', async () => {
  const flow = flowFile([
    'id: local', 'namespace: test', 'tasks:',
    '  - id: sh', '    type: shell.Commands', '    commands: [echo hi]',
    '  - id: py', '    type: python.Script', '    script: print("hi")', '    taskRunner: {type: Process}',
    '  - id: log', '    type: Log', '    message: done',
  ].join('\n'));
  const { code, stderr, modules } = await modulesLoadedBy(['run', flow, '--state-dir', tempStateDir()]);
  assert.equal(code, 0, stderr);
  assert.ok(modules.some((url) => url.endsWith('/src/runners/process/process-runner.ts')), 'the process runner did load');
  assert.ok(modules.some((url) => url.endsWith('/src/runners/docker/schema.ts')), 'the Docker schema is known to the checker');
  assert.deepEqual(modules.filter((url) => CLIENT_LIBRARIES.test(url)), []);
});

test('--version and --help load neither the runner table nor zod', async () => {
  for (const args of [['--version'], ['--help']]) {
    const { code, stderr, modules } = await modulesLoadedBy(args);
    assert.equal(code, 0, stderr);
    assert.deepEqual(modules.filter((url) => /\/node_modules\/zod\/|\/src\/runners\/table\.ts$/.test(url)), [], args.join(' '));
  }
});
