/**
 * Kubernetes runner figures, on two backends: the simulator started in this process (test/kube-sim)
 * and the real cluster built from the Kubernetes Go modules (test/real-cluster). API requests per
 * task, runner overhead, 1 GiB through the exec tar streams, concurrent pods on one informer, and
 * (simulator only, it needs injected faults) 200,000 log lines over a twice-cut log stream. Both run
 * their pods in the local Docker engine; every harrier run is a child process pointed at the cluster
 * by KUBECONFIG. On the real cluster, requests and exec sessions are read from the API server's audit
 * log for the bench's own user, and pod times from a watch of the bench's own.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/index.ts';
import { startKubeSim, type KubeSim, type Pod } from '../test/kube-sim/index.ts';
import { startRealCluster, type RealCluster } from '../test/real-cluster/cluster.ts';
import { watchRealPods } from './real-cluster-watch.ts';
import { ensureBusyboxAlias, ensureBusyboxImage } from '../test/support/images.ts';
import { loadAverage } from './docker.ts';
import { harrierArgs, measure, median, report, tempDir, type Measured } from './support.ts';

const GIB = 1024 ** 3;
const MB = 1e6;
const NAMESPACE = 'default';
const MAIN = 'main';
const TASK_ID_LABEL = 'harrier.io/task-id';

interface Counts {
  total: number;
  requests: Record<string, number>;
  /** Most pod watches open at once. */
  watchesPeak: number;
}

type PodListener = (type: string, pod: Pod) => void;

interface Cluster {
  name: 'simulator' | 'real cluster';
  /** The simulator, for the benches that inject faults. */
  sim?: KubeSim;
  image: string;
  /** Flows, kubeconfig and state directories of this bench, removed at the end. */
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Waits until earlier runs' pods and watches are gone, then counts from zero. */
  quiesce(): Promise<void>;
  /** Requests of harrier runs since the last quiesce. */
  counts(): Promise<Counts>;
  /** Every pod event as this process sees it, until the returned stop. */
  watchPods(listener: PodListener): () => void;
  /** How long each exec session since the last quiesce stayed open, in ms. */
  execDurations(): Promise<number[]>;
  stop(): Promise<void>;
}

interface FlowRun extends Measured {
  stateDir: string;
  executionId: string;
  stats: Counts;
}

function benchDir(kubeconfigText: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir('harrier-bench-k8s-');
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigText, { mode: 0o600 });
  return { dir, env: { KUBECONFIG: kubeconfig } };
}

async function startSimCluster(): Promise<Cluster> {
  const image = ensureBusyboxImage();
  // The file containers default to `busybox`, as Kestra's do.
  ensureBusyboxAlias();
  const sim = await startKubeSim();
  const { dir, env } = benchDir(sim.kubeconfig);
  let execs: ReturnType<typeof pollExecSessions> | undefined;
  return {
    name: 'simulator', sim, image, dir, env,
    quiesce: async () => {
      await sim.settled();
      for (let waited = 0; sim.stats().watchesActive > 0 && waited < 10_000; waited += 50) await delay(50);
      sim.resetStats();
      execs?.stop();
      execs = pollExecSessions(sim);
    },
    counts: async () => {
      await sim.settled();
      const stats = sim.stats();
      return { total: stats.total, requests: { ...stats.requests }, watchesPeak: stats.watchesPeak };
    },
    watchPods: (listener) => sim.store.subscribe((event) => listener(event.type, event.object as Pod)),
    execDurations: async () => (execs ? execs.durations() : []),
    stop: async () => {
      execs?.stop();
      await sim.stop();
    },
  };
}

interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

const BENCH_USER = 'harrier-bench';

async function startRealBenchCluster(): Promise<Cluster> {
  const image = ensureBusyboxImage();
  ensureBusyboxAlias();
  const cluster: RealCluster = await startRealCluster({ log: (line) => console.error(line) });
  const bound = await cluster.api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: BENCH_USER },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: BENCH_USER }],
  });
  if (bound.status !== 201) throw new Error(`real cluster: binding ${BENCH_USER} answered ${bound.status}: ${bound.body}`);
  const { dir, env } = benchDir(cluster.kubeconfigFor(BENCH_USER));
  let from = 0;
  const events = (): AuditEvent[] => readFileSync(cluster.auditLogPath, 'utf8').slice(from).split('\n').filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEvent).filter((event) => event.user.username === BENCH_USER && event.objectRef?.resource);
  const keyOf = (event: AuditEvent) => `${event.verb} ${event.objectRef!.resource}${event.objectRef!.subresource ? `/${event.objectRef!.subresource}` : ''}`;
  const listPods = async (): Promise<Pod[]> => (JSON.parse((await cluster.api('GET', `/api/v1/namespaces/${NAMESPACE}/pods`)).body) as { items: Pod[] }).items;
  const openWatches = () => {
    const opened = new Set<string>();
    for (const event of events()) if (keyOf(event) === 'watch pods') opened.add(event.auditID);
    for (const event of events()) if (event.stage === 'ResponseComplete') opened.delete(event.auditID);
    return opened.size;
  };
  return {
    name: 'real cluster', image, dir, env,
    quiesce: async () => {
      for (let waited = 0; waited < 60_000 && ((await listPods()).length > 0 || openWatches() > 0); waited += 100) await delay(100);
      from = readFileSync(cluster.auditLogPath, 'utf8').length;
    },
    counts: async () => {
      for (let waited = 0; waited < 60_000 && (await listPods()).some((pod) => pod.metadata.deletionTimestamp); waited += 100) await delay(100);
      const seen = new Set<string>();
      const requests: Record<string, number> = {};
      const watchSpans: { from: number; to: number }[] = [];
      const watchStarts = new Map<string, number>();
      for (const event of events()) {
        if (keyOf(event) === 'watch pods') {
          if (!watchStarts.has(event.auditID)) watchStarts.set(event.auditID, epochMs(event.requestReceivedTimestamp));
          if (event.stage === 'ResponseComplete') watchSpans.push({ from: watchStarts.get(event.auditID)!, to: epochMs(event.stageTimestamp) });
        }
        if (seen.has(event.auditID)) continue;
        seen.add(event.auditID);
        requests[keyOf(event)] = (requests[keyOf(event)] ?? 0) + 1;
      }
      for (const start of watchStarts.values()) if (!watchSpans.some((span) => span.from === start)) watchSpans.push({ from: start, to: Infinity });
      const watchesPeak = Math.max(0, ...watchSpans.map((span) => watchSpans.filter((other) => other.from <= span.from && other.to > span.from).length));
      const sorted = Object.fromEntries(Object.entries(requests).sort(([a], [b]) => a.localeCompare(b)));
      return { total: seen.size, requests: sorted, watchesPeak };
    },
    watchPods: (listener) => watchRealPods(cluster, NAMESPACE, listener),
    execDurations: async () => events()
      .filter((event) => event.objectRef?.subresource === 'exec' && event.stage === 'ResponseComplete')
      .map((event) => epochMs(event.stageTimestamp) - epochMs(event.requestReceivedTimestamp)),
    stop: () => cluster.stop(),
  };
}

function podTask(cluster: Cluster, id: string, body: string, runnerExtra = ''): string {
  return `  - id: ${id}
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${cluster.image}
    taskRunner:
      type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes
      pullPolicy: IfNotPresent
${runnerExtra}${body}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let flowCounter = 0;

/** `harrier run --json` of a flow against the cluster; the request counts are this run's alone. */
async function runFlow(cluster: Cluster, yaml: string, extra: string[] = []): Promise<FlowRun> {
  await cluster.quiesce();
  const flow = join(cluster.dir, `flow-${++flowCounter}.yaml`);
  writeFileSync(flow, yaml);
  const stateDir = join(cluster.dir, `state-${flowCounter}`);
  const run = await measure(...harrierArgs('run', flow, '--json', '--state-dir', stateDir, ...extra), { env: cluster.env });
  if (run.code !== 0) throw new Error(`harrier run of ${flow} failed (exit ${run.code}): ${run.stderr.slice(-3000)}`);
  return { ...run, stateDir, executionId: (JSON.parse(run.stdout) as { id: string }).id, stats: await cluster.counts() };
}

function breakdown(requests: Record<string, number>, divisor = 1): string {
  return Object.entries(requests).map(([key, n]) => `${key} ${Number((n / divisor).toFixed(2))}`).join(', ');
}

function difference(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return Object.fromEntries(keys.map((key) => [key, (a[key] ?? 0) - (b[key] ?? 0)]).filter(([, n]) => n !== 0));
}

/** Milliseconds since the epoch of an RFC 3339 timestamp with up to nanosecond digits. */
function epochMs(timestamp: string): number {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(timestamp);
  if (!match) throw new Error(`not an RFC 3339 timestamp: ${timestamp}`);
  return Date.parse(`${match[1]}${match[3]}`) + Number(`0.${match[2] ?? '0'}`) * 1000;
}

// 3. API requests per task --------------------------------------------------------------------------

const WITH_FILES = `    inputFiles:
      in.txt: "rows in"
    outputFiles: ["out.txt"]
    commands: ["cat in.txt > out.txt"]
`;
const WITHOUT_FILES = '    commands: ["echo hello"]\n';

/** One-task and five-task runs of each kind: the difference over four is what one more task costs. */
export async function requestsPerTask(cluster: Cluster): Promise<void> {
  const flowOf = (id: string, body: string, count: number): string =>
    `id: ${id}\nnamespace: bench\ntasks:\n${Array.from({ length: count }, (_, i) => podTask(cluster, `t${i}`, body)).join('')}`;
  const figures: Record<string, string> = { 'load average before (1, 5, 15 min)': loadAverage() };
  const perTask: Record<string, number> = {};
  for (const [kind, body] of [['with input and output files', WITH_FILES], ['without files', WITHOUT_FILES]] as const) {
    const one = await runFlow(cluster, flowOf('requests_one', body, 1));
    const five = await runFlow(cluster, flowOf('requests_five', body, 5));
    const extra = difference(five.stats.requests, one.stats.requests);
    perTask[kind] = (five.stats.total - one.stats.total) / 4;
    figures[`${kind}: 1-task run, all requests (informer included)`] = `${one.stats.total} (${breakdown(one.stats.requests)})`;
    figures[`${kind}: 5-task run, all requests`] = `${five.stats.total} (${breakdown(five.stats.requests)})`;
    figures[`${kind}: per task, (5-task − 1-task) / 4`] = `${perTask[kind]} (${breakdown(extra, 4)})`;
  }
  figures['load average after'] = loadAverage();
  report(`Kubernetes runner on the ${cluster.name}: API requests per task, counted by ${cluster.sim ? 'the simulator' : 'the API server\'s audit log'}`, figures,
    'per task ≤ 6 with input and output files, ≤ 4 without (the shared informer\'s list and watch are per process, not per task)',
    perTask['with input and output files'] <= 6 && perTask['without files'] <= 4);
}

// 4. Runner overhead --------------------------------------------------------------------------------

interface PodTimes {
  createdAt?: number;
  runningAt?: number;
  mainEndedAt?: number;
}

/** Records, by task id, when each pod appeared in the simulator and when its main container was seen terminated. */
function watchPodTimes(cluster: Cluster): { times: Map<string, PodTimes>; stop(): void } {
  const times = new Map<string, PodTimes>();
  const stop = cluster.watchPods((type, pod) => {
    const now = Date.now();
    const taskId = pod.metadata.labels?.[TASK_ID_LABEL];
    if (!taskId) return;
    const entry = times.get(taskId) ?? {};
    times.set(taskId, entry);
    if (type === 'ADDED') entry.createdAt ??= now;
    if (pod.status?.phase === 'Running') entry.runningAt ??= now;
    const main = pod.status?.containerStatuses?.find((status) => status.name === MAIN);
    if (main?.state?.terminated) entry.mainEndedAt ??= now;
  });
  return { times, stop };
}

interface Overhead {
  taskId: string;
  toCreate: number;
  /** Pod created → Running, as Kubernetes reports it. */
  podStartup: number;
  simExitLag: number;
  toEnd: number;
  total: number;
}

/**
 * Per task: attempt start (store) → pod created (seen by the simulator), plus the container's last
 * line (its Docker log timestamp, printed just before exit) → attempt end (store). The second part
 * is split into the simulator's own lag in reporting the exit and harrier's part after it.
 */
async function overheads(run: FlowRun, times: Map<string, PodTimes>): Promise<Overhead[]> {
  const store = await SqliteStore.open(run.stateDir);
  try {
    const list: Overhead[] = [];
    for (const taskRun of await store.taskRuns(run.executionId)) {
      const [attempt] = await store.attempts(taskRun.id);
      const pod = times.get(taskRun.taskId);
      const line = (await store.logs(run.executionId, { taskId: taskRun.taskId })).findLast((record) => record.stream === 'stdout' && record.line === 'end');
      if (!attempt?.endedAt || !pod?.createdAt || !pod.mainEndedAt || !line) throw new Error(`task ${taskRun.taskId}: missing its attempt, pod times or last line`);
      const exitedAt = epochMs(line.timestamp);
      const toCreate = pod.createdAt - Date.parse(attempt.startedAt);
      const simExitLag = pod.mainEndedAt - exitedAt;
      const toEnd = Date.parse(attempt.endedAt) - pod.mainEndedAt;
      const podStartup = (pod.runningAt ?? pod.mainEndedAt) - pod.createdAt;
      list.push({ taskId: taskRun.taskId, toCreate, podStartup, simExitLag, toEnd, total: toCreate + simExitLag + toEnd });
    }
    return list;
  } finally {
    await store.close();
  }
}

function describeOverheads(list: Overhead[]): string {
  const med = (pick: (o: Overhead) => number): string => median(list.map(pick)).toFixed(0);
  return `total ${med((o) => o.total)} ms = start → pod created ${med((o) => o.toCreate)} + container exit → reported ${med((o) => o.simExitLag)}`
    + ` + reported → attempt end ${med((o) => o.toEnd)} (medians of ${list.length}; per task: ${list.map((o) => o.total.toFixed(0)).join(', ')});`
    + ` beside it, pod created → Running ${med((o) => o.podStartup)} ms`;
}

export async function runnerOverhead(cluster: Cluster): Promise<void> {
  const body = (files: boolean): string => files
    ? '    inputFiles:\n      in.txt: "rows in"\n    outputFiles: ["out.txt"]\n    commands: ["cat in.txt > out.txt", "echo end"]\n'
    : '    commands: ["echo end"]\n';
  const tasks = [
    ...Array.from({ length: 6 }, (_, i) => podTask(cluster, `plain${i}`, body(false))),
    ...Array.from({ length: 3 }, (_, i) => podTask(cluster, `files${i}`, body(true))),
  ];
  const loadBefore = loadAverage();
  const watcher = watchPodTimes(cluster);
  let list: Overhead[];
  try {
    list = await overheads(await runFlow(cluster, `id: overhead\nnamespace: bench\ntasks:\n${tasks.join('')}`), watcher.times);
  } finally {
    watcher.stop();
  }
  const first = list[0];
  const plain = list.filter((o) => o.taskId.startsWith('plain') && o !== first);
  const files = list.filter((o) => o.taskId.startsWith('files'));
  const plainMedian = median(plain.map((o) => o.total));
  report(`Kubernetes runner on the ${cluster.name}: overhead (task start → pod created, plus main container exit → task end)`, {
    'load average before (1, 5, 15 min)': loadBefore,
    method: `attempt start/end from the store (ms); pod creation, Running and "main terminated" as ${cluster.sim ? 'the simulator\'s store publishes them in-process' : 'a watch of the bench process receives them'} (ms);`
      + ' container exit = the log timestamp (ns) of its last line, `echo end`',
    'first task of the process (starts the shared informer: list + watch)': describeOverheads([first]),
    'later tasks without files': describeOverheads(plain),
    'tasks with an input and an output file (upload and download execs included)': describeOverheads(files),
    'load average after': loadAverage(),
  }, '≤ 300 ms (median of the tasks without files after the first)', plainMedian <= 300);
}

// 5. 1 GiB in and 1 GiB out through the exec tar streams ---------------------------------------------

/** Polls the simulator's open exec sessions: how long each stretch with one or more open lasted. */
function pollExecSessions(sim: KubeSim): { durations(): number[]; stop(): void } {
  const spans: number[] = [];
  let openSince: number | undefined;
  const timer = setInterval(() => {
    const open = sim.stats().execSessionsActive > 0;
    if (open && openSince === undefined) openSince = performance.now();
    if (!open && openSince !== undefined) {
      spans.push(performance.now() - openSince);
      openSince = undefined;
    }
  }, 5);
  return { durations: () => [...spans], stop: () => clearInterval(timer) };
}

export async function bigFiles(cluster: Cluster): Promise<void> {
  const data = tempDir('harrier-bench-data-');
  const big = join(data, 'input.bin');
  const small = join(data, 'small.bin');
  // Zeros written through the page cache: fast to make, and the runner streams them like any bytes.
  spawnSync('sh', ['-c', `head -c ${GIB} /dev/zero > '${big}' && head -c 1024 /dev/zero > '${small}'`]);
  const flowOf = (id: string, outBytes: number): string => `id: ${id}
namespace: bench
inputs:
  - id: data
    type: FILE
tasks:
${podTask(cluster, 'roundtrip', `    inputFiles:
      in.bin: "{{ inputs.data }}"
    outputFiles: ["out.bin"]
    commands:
      - wc -c < in.bin
      - head -c ${outBytes} /dev/zero > out.bin
`, '      emptyDirSizeLimit: 3Gi\n')}`;
  try {
    const loadBefore = loadAverage();
    const baseline = await runFlow(cluster, flowOf('k8s_files_small', 1024), ['--input', `data=@${small}`]);
    const run = await runFlow(cluster, flowOf('k8s_files', GIB), ['--input', `data=@${big}`]);
    const spans = await cluster.execDurations();
    if (spans.length !== 2) throw new Error(`expected an upload exec and a download exec, saw ${spans.length} exec sessions`);
    const [upload, download] = spans;
    const growth = run.peakRssMiB - baseline.peakRssMiB;
    report(`Kubernetes runner on the ${cluster.name}: 1 GiB in and 1 GiB out through the exec tar streams`, {
      'load average before (1, 5, 15 min)': loadBefore,
      'harrier run, 1 KiB in and out (baseline)': `${baseline.ms.toFixed(0)} ms, peak RSS ${baseline.peakRssMiB.toFixed(0)} MiB`,
      'harrier run, 1 GiB FILE input in, 1 GiB output file out': `${run.ms.toFixed(0)} ms, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`,
      [`in: upload exec session open (${cluster.sim ? 'simulator side, polled every 5 ms' : 'audit log: request received → response complete'})`]: `${upload.toFixed(0)} ms → ${(GIB / MB / (upload / 1000)).toFixed(0)} MB/s`,
      'out: download exec session open': `${download.toFixed(0)} ms → ${(GIB / MB / (download / 1000)).toFixed(0)} MB/s`,
      'whole run: 2 GiB over (run − baseline), storage copies included': `${((2 * GIB) / MB / ((run.ms - baseline.ms) / 1000)).toFixed(0)} MB/s`,
      'API requests of the 1 GiB run': `${run.stats.total} (${breakdown(run.stats.requests)})`,
      'peak RSS growth over the baseline run': `${growth.toFixed(0)} MiB (${(growth * 1.048576).toFixed(0)} MB)`,
      'load average after': loadAverage(),
    }, 'RSS growth under 64 MB', growth * 1.048576 < 64);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

// 6. 200,000 log lines over a log stream cut twice -------------------------------------------------

const LOG_LINES = 200_000;
const LOG_CUT_AFTER_BYTES = 1_500_000;

/** One run of the task with both cuts armed on its pod; a line of figures and whether it passed. */
async function logRunWithCuts(cluster: Cluster): Promise<{ passed: boolean; summary: string }> {
  const chunks = 8;
  const per = LOG_LINES / chunks;
  // Eight bursts a second apart, so both cuts land while the container still writes.
  const commands = Array.from({ length: chunks }, (_, i) => `seq ${i * per + 1} ${(i + 1) * per}`).join('; sleep 1; ');
  const sim = cluster.sim!;
  let armed = 0;
  const stop = sim.store.subscribe((event) => {
    if (event.type !== 'ADDED' || event.object.metadata.labels?.[TASK_ID_LABEL] !== 'print') return;
    sim.faults.cutLogStreams({ namespace: NAMESPACE, pod: event.object.metadata.name!, container: MAIN, afterBytes: LOG_CUT_AFTER_BYTES, times: 2 });
    armed++;
  });
  // When each log request arrived and when the main container ended: the reconnects must come before it.
  const pods = watchPodTimes(cluster);
  const logRequestsAt: number[] = [];
  const poll = setInterval(() => {
    const count = sim.stats().requests['get pods/log'] ?? 0;
    while (logRequestsAt.length < count) logRequestsAt.push(Date.now());
  }, 5);
  let run: FlowRun;
  try {
    run = await runFlow(cluster, `id: logs_cut\nnamespace: bench\ntasks:\n${podTask(cluster, 'print', `    commands: ["${commands}"]\n`)}`);
  } finally {
    stop();
    pods.stop();
    clearInterval(poll);
  }
  const { createdAt = 0, mainEndedAt = 0 } = pods.times.get('print') ?? {};
  // Both cuts must be reconnected while the container still writes; one more read after it ended is the
  // runner's final check for lines a follow stream did not relay.
  const reconnectsMidTask = armed === 1 && logRequestsAt.length >= 3 && logRequestsAt.slice(1, 3).every((at) => at < mainEndedAt);
  const store = await SqliteStore.open(run.stateDir);
  const rows = (await store.logs(run.executionId, { taskId: 'print' })).filter((record) => record.stream === 'stdout');
  await store.close();
  const seen = new Set<string>();
  let duplicates = 0;
  let firstDisorder = -1;
  for (let i = 0; i < rows.length; i++) {
    if (seen.has(rows[i].line)) duplicates++;
    seen.add(rows[i].line);
    if (firstDisorder < 0 && rows[i].line !== String(i + 1)) firstDisorder = i;
  }
  const missing = LOG_LINES - [...seen].filter((line) => /^\d+$/.test(line) && Number(line) >= 1 && Number(line) <= LOG_LINES).length;
  const exact = rows.length === LOG_LINES && duplicates === 0 && missing === 0 && firstDisorder < 0;
  const summary = `${rows.length.toLocaleString('en-US')} lines stored, missing ${missing}, duplicated ${duplicates}, `
    + `${firstDisorder < 0 ? 'in order' : `out of order from row ${firstDisorder} (${rows[firstDisorder]?.line})`}, last line ${rows.at(-1)?.line ?? 'none'}; `
    + `log requests at ${logRequestsAt.map((at) => at - createdAt).join(', ')} ms after pod creation, main container seen ended at ${mainEndedAt - createdAt} ms`
    + `${reconnectsMidTask ? '' : ' (NOT both cut reconnects before the container ended)'}; harrier ${run.ms.toFixed(0)} ms, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`;
  return { passed: exact && reconnectsMidTask, summary };
}

export async function logsAcrossCuts(cluster: Cluster): Promise<void> {
  const rounds = 3;
  const figures: Record<string, string> = {
    'load average before (1, 5, 15 min)': loadAverage(),
    setup: `8 bursts of 25,000 lines a second apart; sim.faults.cutLogStreams on the pod's main container, afterBytes ${LOG_CUT_AFTER_BYTES.toLocaleString('en-US')}`
      + ' (about 38 bytes per timestamped line), times 2; lines read back from the store',
  };
  let passed = 0;
  for (let round = 1; round <= rounds; round++) {
    const result = await logRunWithCuts(cluster);
    if (result.passed) passed++;
    figures[`run ${round}`] = result.summary;
  }
  figures['load average after'] = loadAverage();
  report('Kubernetes runner: 200,000 log lines with the log stream cut twice mid-task', figures,
    `all 200,000 lines delivered once, in order, in every run (${passed} of ${rounds} did)`, passed === rounds);
}

// 7. Concurrent pods on one worker -------------------------------------------------------------------

export async function concurrentPods(cluster: Cluster, counts: [number, number]): Promise<void> {
  const flowOf = (count: number): string => `id: parallel_${count}
namespace: bench
tasks:
  - id: fan
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
${Array.from({ length: count }, (_, i) => podTask(cluster, `p${i}`, WITHOUT_FILES).replace(/^(?=.)/gm, '    ')).join('')}`;
  const loadBefore = loadAverage();
  const runs = new Map<number, FlowRun>();
  for (const count of counts) runs.set(count, await runFlow(cluster, flowOf(count)));
  const figures: Record<string, string> = { 'load average before (1, 5, 15 min)': loadBefore };
  let oneWatch = true;
  for (const [count, run] of runs) {
    const watches = run.stats.requests['watch pods'] ?? 0;
    oneWatch &&= run.stats.watchesPeak === 1 && watches === 1;
    figures[`${count} concurrent pods`] = `${run.ms.toFixed(0)} ms; ${run.stats.total} requests, ${(run.stats.total / count).toFixed(2)} per task`
      + ` (${breakdown(run.stats.requests)}); watch requests ${watches}, peak open watches ${run.stats.watchesPeak}; peak RSS ${run.peakRssMiB.toFixed(0)} MiB`;
  }
  const [small, large] = counts;
  const smallTotal = runs.get(small)!.stats.total;
  const marginal = (runs.get(large)!.stats.total - smallTotal) / (large - small);
  figures[`requests per extra task, (${large}-run − ${small}-run) / ${large - small}`] = marginal.toFixed(2);
  figures['load average after'] = loadAverage();
  // Linear: the extra tasks cost what the first ones did per task, give or take the shared list and watch.
  const linear = marginal <= smallTotal / small + 0.05;
  report(`Kubernetes runner on the ${cluster.name}: concurrent pod tasks on one worker (Parallel of ${small}, then ${large})`, figures,
    'one watch (open at most one at a time) and requests growing linearly with the tasks', oneWatch && linear);
}

function dockerAnswers(): boolean {
  return spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe' }).status === 0;
}

export async function kubernetesBenches(): Promise<void> {
  if (!dockerAnswers()) {
    console.log('\n## Kubernetes runner\n- skipped: the simulator runs pods in Docker and no Docker engine answers here');
    return;
  }
  const cluster = await startSimCluster();
  try {
    await requestsPerTask(cluster);
    await runnerOverhead(cluster);
    await bigFiles(cluster);
    await logsAcrossCuts(cluster);
    await concurrentPods(cluster, [10, 50]);
  } finally {
    await cluster.stop();
    rmSync(cluster.dir, { recursive: true, force: true });
  }
}

/** The same figures on the real cluster (its log cuts cannot be injected: that bench stays simulated). */
export async function kubernetesRealBenches(): Promise<void> {
  if (!dockerAnswers()) {
    console.log('\n## Kubernetes runner on the real cluster\n- skipped: the cluster runs pods in Docker and no Docker engine answers here');
    return;
  }
  const cluster = await startRealBenchCluster();
  try {
    await requestsPerTask(cluster);
    await runnerOverhead(cluster);
    await bigFiles(cluster);
    await concurrentPods(cluster, [10, 20]);
  } finally {
    await cluster.stop();
    rmSync(cluster.dir, { recursive: true, force: true });
  }
}
