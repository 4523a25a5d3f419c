/**
 * The shared pod informer under watch faults, against the API simulator (whose kubelet runs pods
 * in the real Docker engine): connections cut while a pod runs, history expired during the gap
 * (410), failing reconnects, silent watches. Request counts are the simulator's; the informer
 * itself is reached through a lease from the registry the runners of the test are given.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { dockerOrSkip, dockerStatus } from '../../support/docker.ts';
import { ensureBusyboxImage } from '../../support/images.ts';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.ts';
import { createKubernetesRunner } from '../../../src/runners/kubernetes/index.ts';
import type { KubernetesTuning } from '../../../src/runners/kubernetes/index.ts';
import { DEFAULT_INFORMER_OPTIONS, InformerRegistry, processInformers, type InformerLease } from '../../../src/runners/kubernetes/informer.ts';
import { KubeClient } from '../../../src/runners/kubernetes/client.ts';
import { kubeConfigFromConnection } from '../../../src/runners/kubernetes/connection.ts';
import { connectionFromKubeconfig, makeJob, releasing, removeDir, tempDir } from './helpers.ts';

const NAMESPACE = 'tasks';
/** The simulator sends a bookmark this often on every watch. */
const BOOKMARK_MS = 1_000;
const LINES = 300;
/** Prints `started`, stays quiet long enough for a fault to land, then prints LINES lines. */
const SCRIPT = `echo started; sleep 1; i=1; while [ $i -le ${LINES} ]; do echo line-$i; i=$((i+1)); done`;
const EXPECTED_LINES = ['started', ...Array.from({ length: LINES }, (_, i) => `line-${i + 1}`)];

function tuning(informer: KubernetesTuning['informer']): Partial<KubernetesTuning> {
  return { logStallMs: 3_000, logEndGraceMs: 2_000, goneTimeoutMs: 20_000, informer: { lingerMs: 600_000, ...informer } };
}

describe('Kubernetes shared pod informer under faults', { concurrency: false }, () => {
  let sim: KubeSim;
  let image: string;
  let config: Record<string, string>;
  const dirs: string[] = [];
  const leases: InformerLease[] = [];
  const informers = new InformerRegistry();

  before(async () => {
    if (!dockerStatus().ok) return;
    image = ensureBusyboxImage();
    sim = await startKubeSim({ namespaces: [NAMESPACE], bookmarkIntervalMs: BOOKMARK_MS });
    config = connectionFromKubeconfig(sim.kubeconfig);
  });

  // Informers are shared per cluster and namespace and keep the options of their first user:
  // each test starts its own, with its own tuning.
  beforeEach(() => {
    for (const lease of leases.splice(0)) lease.release();
    informers.stopAll();
    processInformers.stopAll();
    sim?.faults.clearRequestFaults();
  });

  after(async () => {
    for (const lease of leases.splice(0)) lease.release();
    informers.stopAll();
    processInformers.stopAll();
    await sim?.stop();
    for (const dir of dirs) removeDir(dir);
  });

  function job(name: string, script = SCRIPT) {
    const dir = tempDir('informer');
    dirs.push(dir);
    mkdirSync(join(dir, 'out'));
    return makeJob({ name, script, image, hostWorkingDir: dir, properties: { config, namespace: NAMESPACE, pullPolicy: 'IfNotPresent', fileSidecar: { image } } });
  }

  /** The informer the runner started for this namespace (the lease joins it, it starts none). */
  async function sharedInformer(registry = informers) {
    const lease = await registry.acquire(new KubeClient(kubeConfigFromConnection(config as never)), NAMESPACE, DEFAULT_INFORMER_OPTIONS);
    leases.push(lease);
    return lease.informer;
  }

  function requests(verbResource: string): number {
    return sim.stats().requests[verbResource] ?? 0;
  }

  function taskPods(): string[] {
    return sim.store.list(NAMESPACE).map((pod) => String(pod.metadata.name));
  }

  test('a runner given its own registry shares its informer with no other registry', async (t) => {
    if (!dockerOrSkip(t)) return;
    const runner = releasing(createKubernetesRunner({ tuning: tuning({}), informers }));
    assert.equal((await runner.run(job('own-registry', 'true').job)).exitCode, 0);
    sim.resetStats();
    const own = await sharedInformer();
    assert.equal(requests('list pods'), 0, 'the runner\'s informer is in the registry it was given');
    const processWide = await sharedInformer(processInformers);
    assert.notEqual(processWide, own);
    assert.equal(requests('list pods'), 1, 'the process\'s registry starts an informer of its own');
  });

  test('a watch cut while a pod runs resumes from its resourceVersion and sees the pod end during the gap', async (t) => {
    if (!dockerOrSkip(t)) return;
    const runner = releasing(createKubernetesRunner({ tuning: tuning({ initialBackoffMs: 100, maxBackoffMs: 400 }), informers }));
    const { job: task, captured } = job('cut');
    let settled = false;
    const running = runner.run(task).finally(() => (settled = true));
    await waitUntil(() => captured.lines.includes('started'));
    const informer = await sharedInformer();
    const podName = String(captured.handles[0].podName);
    sim.resetStats();
    // The reconnect is held by the server until well after the pod ended: the end happens in the gap.
    sim.faults.delay('watch pods', 2_500, 1);
    assert.equal(sim.faults.cutWatches(), 1, 'one shared watch for the namespace');
    await sim.waitForPod(NAMESPACE, podName, (pod) => pod?.status?.phase === 'Succeeded', 15_000);
    assert.equal(sim.stats().watchesActive, 0, 'the pod ended while no watch was open');
    assert.equal(settled, false, 'the task cannot know the pod ended before the watch is back');
    assert.equal(phaseOf(informer.get(podName)), 'Running', 'the informer has not seen the end yet');

    const result = await running;
    assert.equal(result.exitCode, 0);
    assert.deepEqual(captured.lines, EXPECTED_LINES);
    assert.deepEqual(taskPods(), [], 'the pod is deleted');
    // The DELETED event of the runner's own delete arrives on the resumed watch too.
    await waitUntil(() => informer.get(podName) === undefined, 5_000);
    const stats = sim.stats();
    assert.equal(requests('watch pods'), 1, `one reconnect, no relist: ${JSON.stringify(stats.requests)}`);
    assert.equal(requests('list pods'), 0, JSON.stringify(stats.requests));
    assert.equal(requests('get pods'), 0, 'no polling fallback');
    assert.equal(stats.watchesActive, 1);
  });

  test('history expired during the gap: 410 Expired, one relist, the task completes and no pod is left', async (t) => {
    if (!dockerOrSkip(t)) return;
    const runner = releasing(createKubernetesRunner({ tuning: tuning({ initialBackoffMs: 100, maxBackoffMs: 400 }), informers }));
    const { job: task, captured } = job('expired');
    const running = runner.run(task);
    await waitUntil(() => captured.lines.includes('started'));
    const informer = await sharedInformer();
    const podName = String(captured.handles[0].podName);
    sim.resetStats();
    const before = informer.requests;
    sim.faults.delay('watch pods', 2_500, 1);
    assert.equal(sim.faults.cutWatches(), 1);
    await sim.waitForPod(NAMESPACE, podName, (pod) => pod?.status?.phase === 'Succeeded', 15_000);
    assert.equal(sim.stats().watchesActive, 0, 'the pod ended while no watch was open');
    // The changes the informer missed are no longer in the history: its resume must get 410.
    sim.faults.expireWatchHistory();

    const result = await running;
    assert.equal(result.exitCode, 0);
    assert.deepEqual(captured.lines, EXPECTED_LINES);
    await sim.settled();
    assert.deepEqual(taskPods(), [], 'no pod is left behind');
    await waitUntil(() => informer.get(podName) === undefined, 5_000);
    const stats = sim.stats();
    // The resumed watch (answered 410), one relist, and the watch from the list's resourceVersion.
    assert.equal(requests('watch pods'), 2, JSON.stringify(stats.requests));
    assert.equal(requests('list pods'), 1, JSON.stringify(stats.requests));
    assert.equal(informer.requests - before, 3);
    assert.equal(stats.watchesActive, 1);

    // The informer keeps working after the relist: a second task runs through it.
    const next = job('after-expired', 'echo again');
    assert.equal((await runner.run(next.job)).exitCode, 0);
    assert.deepEqual(next.captured.lines, ['again']);
    assert.equal(requests('list pods'), 1, 'no further relist');
  });

  test('failing reconnects back off, capped at maxBackoffMs, without relisting', async (t) => {
    if (!dockerOrSkip(t)) return;
    const runner = releasing(createKubernetesRunner({ tuning: tuning({ initialBackoffMs: 50, maxBackoffMs: 100 }), informers }));
    const warm = job('warm', 'true');
    assert.equal((await runner.run(warm.job)).exitCode, 0);
    sim.resetStats();
    // Uncapped, six failures would cost 50+100+200+400+800+1600 ms of back-off; capped, 550 ms.
    sim.faults.failNext('watch pods', 6, 'error');
    const cutAt = Date.now();
    assert.equal(sim.faults.cutWatches(), 1);
    await waitUntil(() => sim.stats().watchesActive === 1 && requests('watch pods') === 7, 10_000, 10);
    const elapsed = Date.now() - cutAt;
    assert.ok(elapsed >= 500, `backed off between attempts (${elapsed} ms)`);
    assert.ok(elapsed < 2_000, `back-off capped (${elapsed} ms)`);
    assert.equal(requests('list pods'), 0, JSON.stringify(sim.stats().requests));

    const after = job('after-failures', 'echo ok');
    assert.equal((await runner.run(after.job)).exitCode, 0);
    assert.deepEqual(after.captured.lines, ['ok']);
  });

  test('a silent watch (no event, no bookmark within stallMs) is reopened, and a task spanning the stalls loses nothing', async (t) => {
    if (!dockerOrSkip(t)) return;
    const stallMs = 600;
    assert.ok(stallMs < BOOKMARK_MS, 'the bookmarks come too late to keep this watch alive');
    const runner = releasing(createKubernetesRunner({ tuning: tuning({ stallMs, initialBackoffMs: 50, maxBackoffMs: 100 }), informers }));
    const warm = job('warm', 'true');
    assert.equal((await runner.run(warm.job)).exitCode, 0);
    sim.resetStats();
    // Between two reopens the watch was silent: the second must come stallMs after the first.
    await waitUntil(() => requests('watch pods') === 1, 5_000, 5);
    const openedAt = Date.now();
    await waitUntil(() => requests('watch pods') === 2, 5_000, 5);
    const silentFor = Date.now() - openedAt;
    assert.ok(silentFor >= stallMs - 50, `reopened only after stallMs (${silentFor} ms)`);
    assert.ok(silentFor < stallMs + 1_000, `reopened soon after stallMs (${silentFor} ms)`);
    assert.equal(requests('list pods'), 0);
    assert.ok(sim.stats().watchesPeak <= 1, 'the stalled watch is closed before the next one opens');

    const { job: task, captured } = job('through-stalls', 'echo started; sleep 2; echo done');
    const watchesBefore = requests('watch pods');
    assert.equal((await runner.run(task)).exitCode, 0);
    assert.deepEqual(captured.lines, ['started', 'done']);
    assert.ok(requests('watch pods') - watchesBefore >= 2, `the watch was reopened while the task ran: ${JSON.stringify(sim.stats().requests)}`);
    assert.deepEqual(taskPods(), []);
  });

  test('bookmarks keep a quiet watch alive: no reopen while they come within stallMs', async (t) => {
    if (!dockerOrSkip(t)) return;
    const stallMs = 1_800;
    const runner = releasing(createKubernetesRunner({ tuning: tuning({ stallMs, initialBackoffMs: 50, maxBackoffMs: 100 }), informers }));
    const warm = job('warm', 'true');
    assert.equal((await runner.run(warm.job)).exitCode, 0);
    sim.resetStats();
    await new Promise((resolve) => setTimeout(resolve, stallMs * 2));
    assert.equal(requests('watch pods'), 0, JSON.stringify(sim.stats().requests));
    assert.equal(requests('list pods'), 0);
    assert.equal(sim.stats().watchesActive, 1);
  });

  test('a watch request the server never answers counts as a stall: the informer gives up on it and reopens', async (t) => {
    if (!dockerOrSkip(t)) return;
    // Bookmarks keep the answered watches alive: only the unanswered request can trip stallMs.
    const stallMs = 1_500;
    assert.ok(stallMs > BOOKMARK_MS);
    // The simulator still serves the abandoned request once its delay is over, to a client that
    // left; a short server-side timeout ends that orphan soon, so the test process can exit.
    const runner = releasing(createKubernetesRunner({ tuning: tuning({ stallMs, initialBackoffMs: 50, maxBackoffMs: 100, watchTimeoutSeconds: 3 }), informers }));
    const warm = job('warm', 'true');
    assert.equal((await runner.run(warm.job)).exitCode, 0);
    sim.resetStats();
    const unansweredMs = 5_000;
    sim.faults.delay('watch pods', unansweredMs, 1);
    assert.equal(sim.faults.cutWatches(), 1);
    const cutAt = Date.now();
    await waitUntil(() => sim.stats().watchesActive === 1, unansweredMs - 2_000, 10);
    assert.ok(Date.now() - cutAt >= stallMs, 'gave up on the request only after stallMs');
    assert.equal(requests('watch pods'), 2, JSON.stringify(sim.stats().requests));
    assert.equal(requests('list pods'), 0);

    const { job: task, captured } = job('after-hung-watch', 'echo ok');
    assert.equal((await runner.run(task)).exitCode, 0);
    assert.deepEqual(captured.lines, ['ok']);
  });
});

function phaseOf(pod: V1Pod | undefined): string | undefined {
  return pod?.status?.phase;
}

async function waitUntil(condition: () => boolean, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
