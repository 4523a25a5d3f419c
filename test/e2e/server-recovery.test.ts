/**
 * Executions survive their server: SIGKILL and a restart re-attach to the same container or pod;
 * SIGTERM hands the execution over at once to another server on the same state directory; a
 * server frozen (SIGSTOP) past its lease is fenced out when it wakes (SIGCONT): its writes are
 * refused, it stops, and it deletes nothing of what the new owner now watches. Docker containers,
 * and Kubernetes pods on the simulator and on the real cluster, with real `harrier server` processes;
 * the same three for a subflow that runs in its parent's slot, with Docker.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerOrSkip, dockerUnavailable, watchContainerCreates } from '../support/docker.ts';
import { ensureBusyboxAlias, ensureBusyboxImage } from '../support/images.ts';
import { availableBackends, startBackend, type KubeBackend, kubeconfigFile } from '../support/kube-backends.ts';
import { tempStateDir } from '../support/harrier.ts';
import { api, deployFlow, startServerProcess, subflowExecutionId, untilState, type ServerProcess } from '../support/server.ts';

const LINES = 40;
/** Short leases so that take-overs happen within a test's patience. */
const LEASE_ARGS = ['--lease-ms', '3000', '--renew-ms', '500', '--poll-ms', '200'];

interface Place {
  name: string;
  runner: string;
  env(): Record<string, string>;
  /** The containers or pods of an execution that exist now. */
  resources(executionId: string): Promise<string[]>;
  /** How many were ever created for the execution (pods: the simulator counts creates; containers: Docker's events). */
  creates(executionId: string): Promise<number>;
}

function flowFor(place: Place, id: string): string {
  return `id: ${id}
namespace: company.team
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${ensureBusyboxImage()}
    taskRunner:
${place.runner}
    commands:
      - for i in $(seq 1 ${LINES}); do echo line $i; sleep 0.25; done
`;
}

/** The numbers of the `line N` entries stored for the task, in order. */
async function numberedLines(server: ServerProcess, executionId: string): Promise<number[]> {
  const { body } = await api(server.url, `/api/v1/logs/${executionId}?taskId=count`);
  return body.flatMap((entry: any) => (/^line (\d+)$/.exec(entry.message) ? [Number(/^line (\d+)$/.exec(entry.message)![1])] : []));
}

async function untilLine(server: ServerProcess, executionId: string, line: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await numberedLines(server, executionId)).includes(line)) return;
    await sleep(100);
  }
  throw new Error(`line ${line} never stored; server said:\n${server.output()}`);
}

async function untilOutput(server: ServerProcess, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(server.output())) {
    if (Date.now() > deadline) throw new Error(`server never printed ${pattern}:\n${server.output()}`);
    await sleep(100);
  }
}

function allLinesOnce(lines: number[]): void {
  assert.deepEqual(lines, Array.from({ length: LINES }, (_, i) => i + 1));
}

async function startOn(place: Place, stateDir: string, workers = 1): Promise<ServerProcess> {
  return startServerProcess({ stateDir, args: ['--workers', String(workers), ...LEASE_ARGS], env: place.env() });
}

function scenarios(place: () => Place): void {
  test('SIGKILL mid-task, then a restart: the server resumes by itself, re-attached to the same one, every line once', async () => {
    const where = place();
    const stateDir = tempStateDir('harrier-server-');
    const first = await startOn(where, stateDir);
    await deployFlow(first.url, flowFor(where, 'killed_server'));
    const { body: execution } = await api(first.url, '/api/v1/executions/company.team/killed_server', { method: 'POST' });
    await untilLine(first, execution.id, 5);
    const before = await where.resources(execution.id);
    assert.equal(before.length, 1);
    const createsBefore = await where.creates(execution.id);
    assert.ok(createsBefore >= 1, 'its container or pod was counted when created');
    first.child.kill('SIGKILL');
    await first.child.result;
    assert.deepEqual(await where.resources(execution.id), before, 'the container or pod outlives the server');

    const second = await startOn(where, stateDir);
    try {
      const ended = await untilState(second.url, execution.id, ['SUCCESS', 'FAILED', 'KILLED'], 120_000);
      assert.equal(ended.state.current, 'SUCCESS', second.output());
      assert.equal(ended.taskRunList[0].attempts.length, 1, 'the same attempt, re-attached');
      allLinesOnce(await numberedLines(second, execution.id));
      assert.equal(await where.creates(execution.id), createsBefore, 'no second container or pod');
      assert.deepEqual(await where.resources(execution.id), [], 'removed at the end');
      assert.match(second.output(), new RegExp(`took execution ${execution.id} over`));
    } finally {
      await second.stop();
    }
  });

  test('SIGTERM hands the execution over at once: another server takes it without waiting for the lease to expire', async () => {
    const where = place();
    const stateDir = tempStateDir('harrier-server-');
    const first = await startOn(where, stateDir);
    await deployFlow(first.url, flowFor(where, 'handed_over'));
    const { body: execution } = await api(first.url, '/api/v1/executions/company.team/handed_over', { method: 'POST' });
    await untilLine(first, execution.id, 3);
    // The second server starts idle only now, so the first one took the execution.
    const second = await startOn(where, stateDir);
    try {
      const stoppedAt = Date.now();
      const result = await first.stop();
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await where.resources(execution.id)).length, 1, `the container or pod keeps running; the first server said:\n${result.stderr}\n--- the second:\n${second.output()}`);
      await untilOutput(second, new RegExp(`took execution ${execution.id} over`), 10_000);
      const takeoverMs = Date.now() - stoppedAt;
      assert.ok(takeoverMs < 3000, `taken over ${takeoverMs} ms after SIGTERM (the lease is 3000 ms)`);
      const ended = await untilState(second.url, execution.id, ['SUCCESS', 'FAILED', 'KILLED'], 120_000);
      assert.equal(ended.state.current, 'SUCCESS', second.output());
      assert.equal(ended.taskRunList[0].attempts.length, 1);
      allLinesOnce(await numberedLines(second, execution.id));
      assert.deepEqual(await where.resources(execution.id), []);
    } finally {
      await second.stop();
    }
  });

  test('fencing: a server frozen past its lease wakes up refused, stops, and leaves the container or pod to the new owner', async () => {
    const where = place();
    const stateDir = tempStateDir('harrier-server-');
    const frozen = await startOn(where, stateDir);
    await deployFlow(frozen.url, flowFor(where, 'fenced'));
    const { body: execution } = await api(frozen.url, '/api/v1/executions/company.team/fenced', { method: 'POST' });
    await untilLine(frozen, execution.id, 3);
    const resource = await where.resources(execution.id);
    frozen.child.kill('SIGSTOP');
    const other = await startOn(where, stateDir);
    try {
      await untilOutput(other, new RegExp(`took execution ${execution.id} over from .*lease expired\\), lease epoch 2`), 30_000);
      // The new owner re-attached and stores lines; the frozen one has lines buffered, unwritten.
      const seen = (await numberedLines(other, execution.id)).length;
      for (let i = 0; i < 100 && (await numberedLines(other, execution.id)).length <= seen + 2; i++) await sleep(100);
      frozen.child.kill('SIGCONT');
      await untilOutput(frozen, new RegExp(`(lost the lease of execution ${execution.id}|write refused for execution ${execution.id})`), 15_000);
      await untilOutput(frozen, new RegExp(`stopped execution ${execution.id}`), 15_000);
      assert.deepEqual(await where.resources(execution.id), resource, 'the woken server deleted nothing');

      const ended = await untilState(other.url, execution.id, ['SUCCESS', 'FAILED', 'KILLED'], 120_000);
      assert.equal(ended.state.current, 'SUCCESS', `${other.output()}\n--- frozen:\n${frozen.output()}`);
      assert.equal(ended.taskRunList[0].attempts.length, 1);
      allLinesOnce(await numberedLines(other, execution.id));
      assert.deepEqual(await where.resources(execution.id), []);
      assert.doesNotMatch(frozen.output(), new RegExp(`execution ${execution.id} ended`), 'the frozen server never ended it');
    } finally {
      frozen.child.kill('SIGCONT');
      await frozen.stop();
      await other.stop();
    }
  });
}

describe('server recovery with Docker containers', { concurrency: false }, () => {
  const unavailable = dockerUnavailable();
  if (unavailable) {
    test('Docker', (t) => void dockerOrSkip(t));
    return;
  }
  const dockerPlace = (): Place => ({
    name: 'docker',
    runner: '      type: io.kestra.plugin.scripts.runner.docker.Docker\n      pullPolicy: NEVER',
    env: () => ({}),
    resources: async (executionId) => execFileSync('docker', ['ps', '-aq', '--filter', `label=harrier.io/execution-id=${executionId}`], { encoding: 'utf8' })
      .split('\n').filter(Boolean),
    creates: async (executionId) => [...containerCreates.creates].filter(([key]) => key.startsWith(`${executionId}/`)).reduce((sum, [, count]) => sum + count, 0),
  });
  // Container names are random per create, so a second container would not collide: Docker's events count them.
  const containerCreates = watchContainerCreates('harrier.io/namespace=company.team');
  after(() => containerCreates.stop());
  scenarios(dockerPlace);

  /** Starts a parent whose Subflow task runs `sub_child` in Docker; resolves once the child printed line 3. */
  async function parentWithRunningChild(server: ServerProcess, where: Place): Promise<{ parentId: string; childId: string; container: string[] }> {
    await deployFlow(server.url, flowFor(where, 'sub_child'));
    await deployFlow(server.url, `id: sub_parent
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: sub_child
`);
    const { body: parent } = await api(server.url, '/api/v1/executions/company.team/sub_parent', { method: 'POST' });
    const childId = await subflowExecutionId(server.url, parent.id, 'call');
    assert.ok(childId, `the subflow started; the server said:\n${server.output()}`);
    await untilLine(server, childId!, 3);
    const container = await where.resources(childId!);
    assert.equal(container.length, 1);
    return { parentId: parent.id, childId: childId!, container };
  }

  /** The parent and the same child end SUCCESS on `owner`: one attempt, re-attached to one container, every line once, nothing left. */
  async function sameChildSucceeded(owner: ServerProcess, where: Place, parentId: string, childId: string): Promise<void> {
    const ended = await untilState(owner.url, parentId, ['SUCCESS', 'FAILED', 'KILLED'], 120_000);
    assert.equal(ended.state.current, 'SUCCESS', owner.output());
    assert.equal(ended.taskRunList[0].outputs.executionId, childId, 'the same child');
    const child = (await api(owner.url, `/api/v1/executions/${childId}`)).body;
    assert.equal(child.state.current, 'SUCCESS');
    assert.equal(child.taskRunList[0].attempts.length, 1, 'the same attempt, re-attached');
    allLinesOnce(await numberedLines(owner, childId));
    assert.equal(await where.creates(childId), 1, 'no second container');
    assert.deepEqual(await where.resources(childId), []);
  }

  test('SIGTERM while a subflow runs in the parent\'s slot: the new owner goes on with the same child and its container', async () => {
    const where = dockerPlace();
    const stateDir = tempStateDir('harrier-server-');
    const first = await startOn(where, stateDir);
    const { parentId, childId, container } = await parentWithRunningChild(first, where);
    const second = await startOn(where, stateDir);
    try {
      const result = await first.stop();
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(await where.resources(childId), container, `the child's container keeps running; the first server said:\n${result.stderr}`);
      await untilOutput(second, new RegExp(`took execution ${parentId} over`), 10_000);
      await sameChildSucceeded(second, where, parentId, childId);
    } finally {
      await second.stop();
    }
  });

  test('SIGKILL while a subflow runs in the parent\'s slot, then a restart: the same child goes on, re-attached to its container', async () => {
    const where = dockerPlace();
    const stateDir = tempStateDir('harrier-server-');
    const first = await startOn(where, stateDir);
    const { parentId, childId, container } = await parentWithRunningChild(first, where);
    first.child.kill('SIGKILL');
    await first.child.result;
    assert.deepEqual(await where.resources(childId), container, 'the child\'s container outlives the server');
    const second = await startOn(where, stateDir);
    try {
      await sameChildSucceeded(second, where, parentId, childId);
    } finally {
      await second.stop();
    }
  });

  test('fencing a subflow: a server frozen past its parent\'s lease wakes up to the lost lease, stops the child too without a line written, and deletes nothing', async () => {
    const where = dockerPlace();
    const stateDir = tempStateDir('harrier-server-');
    const frozen = await startOn(where, stateDir);
    const { parentId, childId, container } = await parentWithRunningChild(frozen, where);
    frozen.child.kill('SIGSTOP');
    const other = await startOn(where, stateDir);
    try {
      await untilOutput(other, new RegExp(`took execution ${parentId} over from .*lease expired\\), lease epoch 2`), 30_000);
      const seen = (await numberedLines(other, childId)).length;
      for (let i = 0; i < 100 && (await numberedLines(other, childId)).length <= seen + 2; i++) await sleep(100);
      frozen.child.kill('SIGCONT');
      await untilOutput(frozen, new RegExp(`(lost the lease of execution ${parentId}|write refused for execution ${parentId})`), 15_000);
      assert.deepEqual(await where.resources(childId), container, 'the woken server deleted nothing');
      await sameChildSucceeded(other, where, parentId, childId);
      assert.doesNotMatch(frozen.output(), new RegExp(`execution ${parentId} ended`), 'the frozen server never ended the parent');
    } finally {
      frozen.child.kill('SIGCONT');
      await frozen.stop();
      await other.stop();
    }
  });
});

for (const backendName of dockerUnavailable() ? [] : availableBackends()) {
  describe(`server recovery with Kubernetes pods (${backendName})`, { concurrency: false }, () => {
    let backend: KubeBackend | undefined;
    let kubeconfig = '';
    before(async () => {
      ensureBusyboxAlias();
      backend = await startBackend(backendName);
      kubeconfig = kubeconfigFile(backend);
    });
    after(async () => {
      await backend?.stop();
    });
    scenarios(() => ({
      name: 'kubernetes',
      runner: '      type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes\n      pullPolicy: IF_NOT_PRESENT',
      env: () => ({ KUBECONFIG: kubeconfig }),
      resources: async (executionId) => {
        await backend!.settled('default');
        return (await backend!.listPods('default')).filter((pod) => pod.metadata.labels?.['harrier.io/execution-id'] === executionId).map((pod) => String(pod.metadata.name));
      },
      creates: async () => (await backend!.requestCounts())['create pods'] ?? 0,
    }));
  });
}
if (dockerUnavailable()) test('Kubernetes backends run their pods in Docker', (t) => void dockerOrSkip(t));

test('a Process attempt cut short by a server\'s death cannot be re-attached: the restarted server runs it again as a new attempt', async () => {
  const stateDir = tempStateDir('harrier-server-');
  const first = await startServerProcess({ stateDir, args: ['--workers', '1', ...LEASE_ARGS] });
  await deployFlow(first.url, `id: local
namespace: company.team
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo begin
      - sleep 2
      - echo done
`);
  const { body: execution } = await api(first.url, '/api/v1/executions/company.team/local', { method: 'POST' });
  for (let i = 0; i < 100 && !(await api(first.url, `/api/v1/logs/${execution.id}`)).body.some((entry: any) => entry.message === 'begin'); i++) await sleep(100);
  first.child.kill('SIGKILL');
  await first.child.result;
  const second = await startServerProcess({ stateDir, args: ['--workers', '1', ...LEASE_ARGS] });
  try {
    const ended = await untilState(second.url, execution.id, ['SUCCESS', 'FAILED', 'KILLED'], 60_000);
    assert.equal(ended.state.current, 'SUCCESS', second.output());
    const attempts = ended.taskRunList[0].attempts;
    assert.deepEqual(attempts.map((attempt: any) => attempt.state.current), ['FAILED', 'SUCCESS']);
    assert.match(attempts[0].error, /interrupted/);
  } finally {
    await second.stop();
  }
});
