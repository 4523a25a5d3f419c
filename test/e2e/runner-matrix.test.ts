import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dockerOrSkip } from '../support/docker.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage, ensurePythonImage, PYTHON_IMAGE } from '../support/images.ts';
import { REPO_ROOT, runJson, tempStateDir, type ExecutionDocument } from '../support/harrier.ts';

/**
 * The same example flows under the Process and the Docker runner (`--task-runner docker`) must give
 * the same task states, outputs and output files. Images come from pluginDefaults, the Kestra way to
 * set them for every task, appended to a copy of each example (nothing can be pulled here).
 */
/** Python reports its own host, platform and version, which differ between this machine and the image. */
const HOST_SPECIFIC = ['host', 'platform', 'python_version'];

const MATRIX: { example: string; image: () => string; args?: string[]; env?: Record<string, string>; hostSpecificFiles?: boolean }[] = [
  { example: 'hello.yaml', image: ensureBusyboxImage },
  { example: 'inputs-and-expressions.yaml', image: ensureBusyboxImage, args: ['--input', 'env=prod'] },
  { example: 'files.yaml', image: ensureBusyboxImage, args: ['--input', `data=@${join(REPO_ROOT, 'examples', 'hello.yaml')}`] },
  { example: 'parallel.yaml', image: ensureBusyboxImage },
  { example: 'for-each.yaml', image: ensureBusyboxImage },
  { example: 'dag.yaml', image: ensureBusyboxImage },
  { example: 'working-directory.yaml', image: ensureBusyboxImage },
  { example: 'retries-and-timeouts.yaml', image: ensureBusyboxImage },
  { example: 'secrets.yaml', image: ensureBusyboxImage, env: { SECRET_API_TOKEN: Buffer.from('s3cr3t').toString('base64') } },
  { example: 'python.yaml', image: ensurePythonImage, hostSpecificFiles: true },
];

function withImage(example: string, image: string): string {
  const source = readFileSync(join(REPO_ROOT, 'examples', example), 'utf8');
  const defaults = `  - type: io.kestra.plugin.scripts\n    forced: true\n    values:\n      containerImage: ${image}\n      taskRunner:\n        type: io.kestra.plugin.scripts.runner.docker.Docker\n        pullPolicy: NEVER\n`;
  const text = /^pluginDefaults:/m.test(source) ? source.replace(/^pluginDefaults:\n/m, `pluginDefaults:\n${defaults}`) : `${source}\npluginDefaults:\n${defaults}`;
  const path = join(mkdtempSync(join(tmpdir(), 'harrier-matrix-')), example);
  writeFileSync(path, text);
  return path;
}

/** What must be equal across runners: states, attempts, outputs (minus host-specific values) and file contents. */
function comparable(doc: ExecutionDocument, hostSpecificFiles: boolean): object {
  const portable = (values: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(values).filter(([key]) => !HOST_SPECIFIC.includes(key) && key !== 'outputFiles')
      .map(([key, value]) => [key, key === 'vars' ? portable(value as Record<string, unknown>) : value]));
  // Iterations and branches that run at once are created in any order: compare them by task and value.
  const order = (taskRun: ExecutionDocument['taskRuns'][number]): string => `${taskRun.taskId}\u0000${taskRun.value ?? ''}`;
  return [...doc.taskRuns].sort((a, b) => order(a).localeCompare(order(b))).map((taskRun) => ({
    taskId: taskRun.taskId,
    value: taskRun.value,
    state: taskRun.state,
    attempts: taskRun.attempts.map((a) => [a.state, a.exitCode]),
    outputs: portable(taskRun.outputs),
    files: Object.fromEntries(Object.entries(taskRun.outputFiles)
      .map(([name, file]) => [name, hostSpecificFiles ? 'present' : readFileSync(file.path, 'utf8')])),
  }));
}

for (const entry of MATRIX) {
  test(`${entry.example} gives the same results under Process and Docker`, async (t) => {
    if (!dockerOrSkip(t)) return;
    const image = entry.image();
    const flow = withImage(entry.example, image);
    const args = entry.args ?? [];
    const processRun = await runJson(flow, tempStateDir(), [...args, '--task-runner', 'process'], { env: entry.env });
    const dockerRun = await runJson(flow, tempStateDir(), [...args, '--task-runner', 'docker'], { env: entry.env });
    assert.equal(dockerRun.doc.state, processRun.doc.state, dockerRun.stderr);
    assert.ok(['SUCCESS', 'WARNING'].includes(processRun.doc.state), processRun.stderr);
    assert.ok(dockerRun.doc.taskRuns.flatMap((t) => t.attempts).some((a) => a.runner === 'docker'), 'the docker runner ran');
    assert.deepEqual(comparable(dockerRun.doc, entry.hostSpecificFiles ?? false), comparable(processRun.doc, entry.hostSpecificFiles ?? false));
  });
}

test('the matrix images exist locally', (t) => {
  if (!dockerOrSkip(t)) return;
  assert.equal(ensureBusyboxImage(), BUSYBOX_IMAGE);
  assert.equal(ensurePythonImage(), PYTHON_IMAGE);
});
