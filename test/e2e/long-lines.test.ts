/**
 * Long lines under every runner, through the `harrier` binary: a task printing lines of 20 KB,
 * 1 MB and 20 MB, and a `::{...}::` outputs line of 20 KB, gets them back exactly as printed, the
 * same under Process, Docker and Kubernetes (whose kubelet splices a stamp into every 16 KiB of a
 * line). A line longer than MAX_LINE_BYTES is kept as pieces of that size, with one notice, and
 * the 20 MB line does not cost harrier its size many times over in memory.
 *
 * Kubernetes runs against every available backend: the simulator, and the real cluster when
 * `npm test` started one (HARRIER_TEST_REAL_CLUSTER names its kubeconfig).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { MAX_LINE_BYTES } from '../../src/runners/line-splitter.ts';
import { dockerOrSkip } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { availableBackends, startBackend, type KubeBackend, kubeconfigFile } from '../support/kube-backends.ts';
import { flowFile, harrier, startHarrier, tempStateDir, type ExecutionDocument } from '../support/harrier.ts';

const SIZES = { short: 20_000, medium: 1_000_000, huge: 20_000_000 };
/** Growth of harrier's peak RSS allowed for the 20 MB line over the same flow with short lines. */
const RSS_GROWTH_LIMIT_MIB = 192;

function flow(runner: string, image: string, sizes: typeof SIZES): string {
  return flowFile(`id: long_lines
namespace: company.team
tasks:
  - id: long
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${image}
    taskRunner:
${runner}
    commands:
      - head -c ${sizes.short} /dev/zero | tr '\\0' a; echo
      - printf '::{"outputs":{"long":"'; head -c ${sizes.short} /dev/zero | tr '\\0' o; printf '"}}::\\n'
      - head -c ${sizes.medium} /dev/zero | tr '\\0' b; echo
      - head -c ${sizes.huge} /dev/zero | tr '\\0' c; echo
      - echo after
`);
}

/** Peak RSS of the harrier process in MiB, sampled from /proc as bench/support.ts does. */
async function runMeasured(flowPath: string, env: Record<string, string>): Promise<{ doc: ExecutionDocument; stderr: string; peakMiB: number; stateDir: string }> {
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flowPath, '--json', '--state-dir', stateDir], { env, timeoutMs: 300_000 });
  let peak = 0;
  const sample = (): void => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match) peak = Math.max(peak, Number(match[1]) / 1024);
    } catch {
      // The process has ended.
    }
  };
  const sampler = setInterval(sample, 20);
  child.on('exit', sample);
  const result = await child.result;
  clearInterval(sampler);
  assert.equal(result.code, 0, result.stderr.slice(0, 2000));
  return { doc: JSON.parse(result.stdout) as ExecutionDocument, stderr: result.stderr, peakMiB: peak, stateDir };
}

/** The task's stored log as `harrier logs` prints it: [task] prefix removed. */
async function storedLines(id: string, stateDir: string, env: Record<string, string>): Promise<string[]> {
  const logs = await harrier(['logs', id, '--task', 'long', '--state-dir', stateDir], { env, timeoutMs: 300_000 });
  assert.equal(logs.code, 0, logs.stderr);
  return logs.stdout.split('\n').filter((line) => line.startsWith('[long] ')).map((line) => line.slice('[long] '.length));
}

async function checkRunner(runner: string, image: string, env: Record<string, string>): Promise<void> {
  const baseline = await runMeasured(flow(runner, image, { short: 20, medium: 10, huge: 30 }), env);
  const run = await runMeasured(flow(runner, image, SIZES), env);
  const long = run.doc.taskRuns.find((taskRun) => taskRun.taskId === 'long')!;
  assert.equal(run.doc.state, 'SUCCESS');
  const output = String(long.outputs.vars.long);
  assert.equal(output.length, SIZES.short, 'the ::{...}:: line of 20 KB is read exactly');
  assert.ok(/^o+$/.test(output), 'nothing spliced into the output');

  const lines = await storedLines(run.doc.id, run.stateDir, env);
  const task = lines.filter((line) => /^[abc]+$/.test(line) || line === 'after');
  const pieces = Math.floor(SIZES.huge / MAX_LINE_BYTES);
  assert.deepEqual(task.map((line) => (line === 'after' ? line : `${line[0]}${line.length}`)), [
    `a${SIZES.short}`,
    `b${SIZES.medium}`,
    ...Array.from({ length: pieces }, () => `c${MAX_LINE_BYTES}`),
    `c${SIZES.huge - pieces * MAX_LINE_BYTES}`,
    'after',
  ]);
  assert.ok(task.every((line) => line === 'after' || line === line[0].repeat(line.length)), 'nothing spliced into a line');
  const notices = lines.filter((line) => /is longer than 1048576 bytes/.test(line));
  assert.equal(notices.length, 1, `one notice for the one long line: ${JSON.stringify(notices)}`);
  assert.match(notices[0], /^WARN a line of .* is kept as several lines of at most that size/);

  const growth = run.peakMiB - baseline.peakMiB;
  assert.ok(growth < RSS_GROWTH_LIMIT_MIB, `peak RSS ${run.peakMiB.toFixed(0)} MiB, ${growth.toFixed(0)} MiB over the short-line run (limit ${RSS_GROWTH_LIMIT_MIB})`);
}

test('Process: 20 KB, 1 MB and 20 MB lines, and a 20 KB outputs line', async () => {
  await checkRunner('      type: io.kestra.plugin.core.runner.Process', 'unused', {});
});

test('Docker: 20 KB, 1 MB and 20 MB lines, and a 20 KB outputs line', async (t) => {
  if (!dockerOrSkip(t)) return;
  await checkRunner('      type: io.kestra.plugin.scripts.runner.docker.Docker\n      pullPolicy: NEVER', ensureBusyboxImage(), {});
});

const backends: KubeBackend[] = [];
after(async () => {
  for (const backend of backends) await backend.stop();
});

for (const name of availableBackends()) {
  test(`Kubernetes (${name}): 20 KB, 1 MB and 20 MB lines, and a 20 KB outputs line`, async () => {
    const backend = await startBackend(name);
    backends.push(backend);
    const kubeconfig = kubeconfigFile(backend);
    const image = ensureBusyboxImage();
    const runner = `      type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes\n      namespace: default\n      pullPolicy: IfNotPresent\n      fileSidecar:\n        image: ${image}`;
    await checkRunner(runner, image, { KUBECONFIG: kubeconfig });
  });
}
