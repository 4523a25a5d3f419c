/**
 * `harrier server` figures (issue 10), each against a baseline taken in the same run: executions per
 * second of a one-Log-task flow started over the API (1 and 4 worker slots, beside the API's own
 * create rate with no slot) on the embedded SQLite store and on PostgreSQL (Debian's server, started
 * for the bench with its durable defaults), submit-to-first-task latency under that load, the same
 * on a store holding a long history of ended executions against an empty one, Windmill's 400
 * sequential Process tasks against a bare spawn loop, and the take-over time
 * after a server's SIGKILL (past the lease's expiry) and SIGTERM, with a Docker task printing a line
 * every 100 ms.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore, type Store } from '../src/store/index.ts';
import pg from 'pg';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../test/support/postgres.ts';
import { ensureBusyboxImage } from '../test/support/images.ts';
import { loadAverage } from './docker.ts';
import { HARRIER_BIN, harrierArgs, measure, median, report, tempDir, writeFlow } from './support.ts';

const NAMESPACE = 'bench';
const TERMINAL = new Set(['SUCCESS', 'FAILED', 'KILLED', 'WARNING']);

interface BenchServer {
  url: string;
  child: ChildProcess;
  /** Its log (stderr) so far. */
  output(): string;
  exited: Promise<void>;
}

async function startServer(stateDir: string, args: string[]): Promise<BenchServer> {
  const child = spawn(HARRIER_BIN, ['server', '--port', '0', '--state-dir', stateDir, ...args], {
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let seen = '';
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      seen += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]);
    });
    void exited.then(() => reject(new Error(`harrier server exited before listening:\n${seen}`)));
  });
  return { url, child, output: () => seen, exited };
}

async function stopServer(server: BenchServer, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
  await server.exited;
}

async function api<T>(url: string, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${url}${path}`, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function deploy(url: string, yaml: string): Promise<void> {
  await api(url, '/api/v1/flows', { method: 'POST', headers: { 'Content-Type': 'application/x-yaml' }, body: yaml });
}

interface ExecutionDoc {
  id: string;
  state: { current: string; startDate: string; endDate: string | null };
  taskRunList: { state: { startDate: string } }[];
}

function submit(url: string, flowId: string, wait = false): Promise<ExecutionDoc> {
  return api<ExecutionDoc>(url, `/api/v1/executions/${NAMESPACE}/${flowId}${wait ? '?wait=true' : ''}`, { method: 'POST' });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const LOG_FLOW = `id: one_log\nnamespace: ${NAMESPACE}\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hello\n`;

interface LoadResult {
  perSecond: number;
  /** Submit (client side, before the POST) to the first task run's start, per execution, in ms. */
  latencies: number[];
}

/**
 * `count` executions submitted by `concurrency` clients at once (each one at most every `paceMs`);
 * throughput is the count over the time from the first submit to the last end (the store's record).
 */
async function loadRun(workers: number, count: number, concurrency: number, newStoreUrl: StoreUrl, paceMs = 0, history = 0): Promise<LoadResult> {
  const stateDir = tempDir('harrier-bench-server-');
  const storeUrl = await newStoreUrl();
  if (history > 0) await fillHistory(stateDir, storeUrl, history);
  const server = await startServer(stateDir, ['--workers', String(workers), ...(storeUrl ? ['--store', storeUrl] : [])]);
  try {
    await deploy(server.url, LOG_FLOW);
    const submittedAt = new Map<string, number>();
    let next = 0;
    const started = Date.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const before = Date.now();
        submittedAt.set((await submit(server.url, 'one_log')).id, before);
        if (paceMs) await sleep(Math.max(0, paceMs - (Date.now() - before)));
      }
    }));
    const ids = [...submittedAt.keys()];
    let docs: ExecutionDoc[] = [];
    if (workers > 0) {
      const store: Store = await openStore({ stateDir, url: storeUrl });
      try {
        // Ends are read from the records: polling seldom only spares the shared cores.
        while ((await store.listExecutions(count)).some((execution) => !TERMINAL.has(execution.state))) await sleep(200);
      } finally {
        await store.close();
      }
      docs = await Promise.all(ids.map((id) => api<ExecutionDoc>(server.url, `/api/v1/executions/${id}`)));
      const failed = docs.filter((doc) => doc.state.current !== 'SUCCESS');
      if (failed.length) throw new Error(`${failed.length} executions did not succeed: ${JSON.stringify(failed[0].state)}`);
    }
    const lastEnd = workers > 0 ? Math.max(...docs.map((doc) => Date.parse(doc.state.endDate!))) : Date.now();
    return {
      perSecond: count / ((lastEnd - started) / 1000),
      latencies: docs.map((doc) => Date.parse(doc.taskRunList[0].state.startDate) - submittedAt.get(doc.id)!),
    };
  } finally {
    await stopServer(server);
  }
}

/**
 * `count` ended executions, older than any the run makes, as a long-running server leaves them:
 * each queued once (its lease row stays, released, with its epoch) and SUCCESS.
 */
async function fillHistory(stateDir: string, storeUrl: string | undefined, count: number): Promise<void> {
  const store = await openStore({ stateDir, url: storeUrl });
  try {
    const startedAt = Date.now() - count * 1000;
    await store.transaction(async () => {
      for (let i = 0; i < count; i++) {
        const id = `history${String(i).padStart(8, '0')}`;
        const createdAt = new Date(startedAt + i * 1000).toISOString();
        await store.insertExecution({
          id, flowId: 'one_log', namespace: NAMESPACE, state: 'CREATED', flowFile: `${NAMESPACE}/one_log.yaml`, flowSource: LOG_FLOW,
          inputs: {}, labels: {}, options: { flowRevision: 1 }, createdAt,
        }, { queued: true });
        await store.setExecutionState(id, 'SUCCESS', createdAt);
      }
    });
  } finally {
    await store.close();
  }
}

/** A new, empty store for one run: undefined for the embedded store of the run's state dir. */
type StoreUrl = () => Promise<string | undefined>;

async function throughputOn(storeName: string, newStoreUrl: StoreUrl, target: string): Promise<void> {
  const count = 400;
  const concurrency = 8;
  const load = loadAverage();
  const createOnly = await loadRun(0, count, concurrency, newStoreUrl);
  const one = await loadRun(1, count, concurrency, newStoreUrl);
  const four = await loadRun(4, count, concurrency, newStoreUrl);
  // Below capacity, the latency is the server's own, not the queue's.
  const paced = await loadRun(4, 200, 1, newStoreUrl, 20);
  const ms = (value: number): string => `${value.toFixed(0)} ms`;
  report(`Server throughput: ${count} executions of a one-Log-task flow, ${concurrency} concurrent API clients, ${storeName}`, {
    'load average before (1, 5, 15 min)': load,
    'baseline: API creates alone (--workers 0)': `${createOnly.perSecond.toFixed(0)} executions/s`,
    '1 worker slot': `${one.perSecond.toFixed(1)} executions/s (${(one.perSecond / createOnly.perSecond).toFixed(2)}× the create rate)`,
    '4 worker slots': `${four.perSecond.toFixed(1)} executions/s (${(four.perSecond / createOnly.perSecond).toFixed(2)}× the create rate)`,
    'submit → first task start, 1 slot, p50 / p99': `${ms(percentile(one.latencies, 50))} / ${ms(percentile(one.latencies, 99))}`,
    'submit → first task start, 4 slots, p50 / p99': `${ms(percentile(four.latencies, 50))} / ${ms(percentile(four.latencies, 99))}`,
    'submit → first task start, 4 slots, one client submitting every 20 ms (50/s, 200 executions), p50 / p99': `${ms(percentile(paced.latencies, 50))} / ${ms(percentile(paced.latencies, 99))}`,
  }, `≥ 200 executions/s with 4 workers (${target})`, four.perSecond >= 200);
}

export async function serverThroughput(): Promise<void> {
  await throughputOn('SQLite (embedded)', async () => undefined, 'the issue sets it for PostgreSQL; shown here for comparison');
  const unavailable = postgresUnavailable();
  if (unavailable) {
    console.log(`\n## Server throughput on PostgreSQL\n- skipped: ${unavailable}`);
    return;
  }
  // BENCH_PG_FAST=1: the tests' settings (no fsync), to tell the cost of durable commits from the rest.
  const fast = process.env.BENCH_PG_FAST === '1';
  const postgres = await startPostgres({ durable: !fast });
  try {
    await throughputOn(fast ? 'PostgreSQL (Debian\'s server, no fsync: BENCH_PG_FAST=1)' : 'PostgreSQL (Debian\'s server, its durable defaults: fsync, synchronous commits)', () => postgres.createDatabase(), 'the issue\'s target');
  } finally {
    await postgres.stop();
  }
}

/** Throughput on a store that holds a long history of ended executions, against an empty one, in the same minutes. */
async function historyOn(storeName: string, newStoreUrl: StoreUrl): Promise<void> {
  const count = 400;
  const history = 20_000;
  const load = loadAverage();
  // The empty store runs before and after, so that a first run's warm-up or a drift of the machine
  // weighs on both sides.
  const before = await loadRun(4, count, 8, newStoreUrl);
  const full = await loadRun(4, count, 8, newStoreUrl, 0, history);
  const after = await loadRun(4, count, 8, newStoreUrl);
  const baseline = (before.perSecond + after.perSecond) / 2;
  const ratio = full.perSecond / baseline;
  report(`Server throughput with a long history: ${count} executions, 4 worker slots, 8 API clients, on a store already holding ${history} ended executions, ${storeName}`, {
    'load average before (1, 5, 15 min)': load,
    'baseline: the same on an empty store, run before and after': `${before.perSecond.toFixed(1)} and ${after.perSecond.toFixed(1)} executions/s`,
    [`with ${history} ended executions`]: `${full.perSecond.toFixed(1)} executions/s (${ratio.toFixed(2)}× the empty store's mean)`,
  }, 'at least 0.8× the empty store (a take never reads the ended executions)', ratio >= 0.8);
}

export async function serverHistory(): Promise<void> {
  await historyOn('SQLite (embedded)', async () => undefined);
  const unavailable = postgresUnavailable();
  if (unavailable) {
    console.log(`\n## Server throughput with a long history on PostgreSQL\n- skipped: ${unavailable}`);
    return;
  }
  const postgres = await startPostgres({ durable: true });
  try {
    await historyOn('PostgreSQL (Debian\'s server, its durable defaults)', () => postgres.createDatabase());
  } finally {
    await postgres.stop();
  }
}

/** The fields of /proc/PID/stat after the command name (proc(5)'s fields 3 on, so index 1 is the parent pid). */
function procStat(pid: number): number[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
}

/** CPU seconds (user and system) a process used, and those of its reaped children, from /proc. */
function cpuSeconds(pid: number, withReapedChildren = false): number {
  try {
    const fields = procStat(pid);
    // Fields 14-17 of proc(5) (utime, stime, cutime, cstime), here from index 11, in clock ticks (100 per second).
    return (fields[11] + fields[12] + (withReapedChildren ? fields[13] + fields[14] : 0)) / 100;
  } catch {
    return 0;
  }
}

/** The postmaster's CPU with every backend's: live ones read now, exited ones counted in the postmaster's reaped children. */
async function postgresCpuSeconds(postgres: TestPostgres): Promise<number> {
  const { rows } = await postgres.admin("/* bench */ SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'");
  const postmaster = procStat(Number(rows[0].pid))[1];
  let total = cpuSeconds(postmaster, true);
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (procStat(Number(pid))[1] === postmaster) total += cpuSeconds(Number(pid));
    } catch {
      // A backend that exited while the list was read is in the postmaster's reaped children.
    }
  }
  return total;
}

/**
 * What one execution costs on PostgreSQL, with 4 slots under the throughput load: the statements
 * the server sends (PostgreSQL's pg_stat_statements), and the CPU of the server and of PostgreSQL per
 * execution, beside the throughput of the same run. A diagnostic for the throughput figure, no target.
 */
export async function serverCost(): Promise<void> {
  const unavailable = postgresUnavailable();
  if (unavailable) {
    console.log(`\n## Server cost per execution on PostgreSQL\n- skipped: ${unavailable}`);
    return;
  }
  const count = 400;
  const postgres = await startPostgres({ durable: true });
  try {
    await postgres.admin("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
    await postgres.halt();
    await postgres.start();
    const url = await postgres.createDatabase();
    const client = new pg.Client(url);
    await client.connect();
    const server = await startServer(tempDir('harrier-bench-server-'), ['--workers', '4', '--store', url]);
    try {
      await client.query('/* bench */ CREATE EXTENSION pg_stat_statements');
      await deploy(server.url, LOG_FLOW);
      await client.query('/* bench */ SELECT pg_stat_statements_reset()');
      const serverBefore = cpuSeconds(server.child.pid!);
      const postgresBefore = await postgresCpuSeconds(postgres);
      const started = Date.now();
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < count) {
          next++;
          await submit(server.url, 'one_log');
        }
      }));
      const unfinished = `/* bench */ SELECT count(*) AS n FROM executions WHERE state NOT IN (${[...TERMINAL].map((state) => `'${state}'`).join(', ')})`;
      while (Number((await client.query<{ n: string }>(unfinished)).rows[0].n) > 0) await sleep(50);
      const ended = Date.parse((await client.query<{ last: string }>('/* bench */ SELECT max(ended_at) AS last FROM executions')).rows[0].last);
      const serverCpu = cpuSeconds(server.child.pid!) - serverBefore;
      const postgresCpu = (await postgresCpuSeconds(postgres)) - postgresBefore;
      const { rows } = await client.query<{ calls: string; query: string }>(`/* bench */ SELECT calls, regexp_replace(query, '\\s+', ' ', 'g') AS query
        FROM pg_stat_statements WHERE query NOT LIKE '%/* bench */%' ORDER BY calls DESC, query`);
      const statements = rows.reduce((sum, row) => sum + Number(row.calls), 0);
      const perExecution = (seconds: number): string => `${((seconds * 1000) / count).toFixed(2)} ms`;
      console.log(`\n## Server cost per execution on PostgreSQL: ${count} executions of a one-Log-task flow, 4 worker slots, 8 concurrent API clients`);
      console.log(`- throughput of this run: ${(count / ((ended - started) / 1000)).toFixed(1)} executions/s`);
      console.log(`- statements the server sent per execution: ${(statements / count).toFixed(1)}`);
      console.log(`- server CPU per execution (user + system): ${perExecution(serverCpu)}`);
      console.log(`- PostgreSQL CPU per execution (every backend, user + system): ${perExecution(postgresCpu)}`);
      console.log('- statements, calls per execution:');
      for (const row of rows) console.log(`  - ${(Number(row.calls) / count).toFixed(2)} × ${row.query.slice(0, 100)}`);
    } finally {
      await stopServer(server);
      await client.end();
    }
  } finally {
    await postgres.stop();
  }
}

/** Windmill's scenario: one flow of 400 sequential `true` Process tasks on one slot, against 400 bare spawns. */
export async function serverSequential(): Promise<void> {
  const count = 400;
  const tasks = Array.from({ length: count }, (_, i) => `  - id: t${i}\n    type: io.kestra.plugin.scripts.shell.Commands\n    taskRunner:\n      type: io.kestra.plugin.core.runner.Process\n    commands: ["true"]\n`).join('');
  const yaml = `id: sequential\nnamespace: ${NAMESPACE}\ntasks:\n${tasks}`;
  const file = writeFlow('sequential', yaml);
  const load = loadAverage();
  const server = await startServer(tempDir('harrier-bench-server-'), ['--workers', '1']);
  const flowTimes: number[] = [];
  const loopTimes: number[] = [];
  const embeddedTimes: number[] = [];
  try {
    await deploy(server.url, yaml);
    for (let round = 0; round < 3; round++) {
      const embedded = await measure(...harrierArgs('run', file, '--state-dir', tempDir('harrier-bench-state-')), { discardStdout: true });
      if (embedded.code !== 0) throw new Error(`harrier run failed: ${embedded.stderr}`);
      embeddedTimes.push(embedded.ms);
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        await new Promise<void>((resolve, reject) => spawn('/bin/sh', ['-c', 'true'], { stdio: 'ignore' }).on('error', reject).on('close', () => resolve()));
      }
      loopTimes.push(performance.now() - started);
      const submitted = performance.now();
      const ended = await submit(server.url, 'sequential', true);
      if (ended.state.current !== 'SUCCESS') throw new Error(`the 400-task execution ended ${ended.state.current}`);
      flowTimes.push(performance.now() - submitted);
    }
  } finally {
    await stopServer(server);
  }
  const flow = median(flowTimes);
  const loop = median(loopTimes);
  report(`Server: one flow of ${count} sequential Process tasks (\`true\`) on one slot (Windmill's scenario)`, {
    'load average before (1, 5, 15 min)': load,
    'bare loop, 400 × spawn /bin/sh -c true (median of 3)': `${(loop / 1000).toFixed(2)} s`,
    'harrier server, POST ?wait=true to the end (median of 3)': `${(flow / 1000).toFixed(2)} s (rounds: ${flowTimes.map((t) => (t / 1000).toFixed(2)).join(', ')} s)`,
    'harrier run of the same flow, embedded, no server (median of 3)': `${(median(embeddedTimes) / 1000).toFixed(2)} s`,
    'ratio server / bare loop': `${(flow / loop).toFixed(2)}×`,
    'overhead per task, (flow − loop) / 400': `${((flow - loop) / count).toFixed(2)} ms`,
  }, 'faster than the anchors on their machines (Windmill 19.7 s; context only, not the same machine)', flow < 19_700);
}

interface Takeover {
  /** From the signal to the second server storing a new line of the task. */
  afterSignalMs: number;
  /** The lease's expiry, from the signal (SIGKILL); 0 after a SIGTERM, which releases it. */
  leaseLeftMs: number;
}

/**
 * A Docker task printing a line every 100 ms on one server; `signal` to it once it logs; the other
 * takes over. Both on one state dir's SQLite store, or each on its own state dir and `storeUrl`.
 */
async function takeover(signal: 'SIGKILL' | 'SIGTERM', leaseArgs: string[], storeUrl?: string): Promise<Takeover> {
  const stateDir = tempDir('harrier-bench-server-');
  const secondStateDir = storeUrl ? tempDir('harrier-bench-server-') : stateDir;
  const storeArgs = storeUrl ? ['--store', storeUrl] : [];
  const flow = `id: ticking\nnamespace: ${NAMESPACE}\ntasks:\n  - id: tick\n    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${ensureBusyboxImage()}\n    taskRunner:\n      type: io.kestra.plugin.scripts.runner.docker.Docker\n      pullPolicy: NEVER
    commands:\n      - for i in $(seq 1 150); do echo line $i; sleep 0.1; done\n`;
  const first = await startServer(stateDir, ['--workers', '1', ...leaseArgs, ...storeArgs]);
  let second: BenchServer | undefined;
  const store = await openStore({ stateDir, url: storeUrl });
  try {
    await deploy(first.url, flow);
    const { id } = await submit(first.url, 'ticking');
    const lines = async (): Promise<number> => (await store.logs(id, { limit: 100_000 })).filter((record) => record.line.startsWith('line ')).length;
    while (await lines() < 5) await sleep(20);
    // Started only now, so that the first server holds the execution.
    second = await startServer(secondStateDir, ['--workers', '1', ...leaseArgs, ...storeArgs]);
    first.child.kill(signal);
    const signalled = Date.now();
    await first.exited;
    const stored = await lines();
    const leaseLeftMs = signal === 'SIGKILL' ? (await store.leaseOf(id))!.expiresAt - signalled : 0;
    while (await lines() <= stored) {
      if (Date.now() - signalled > 60_000) throw new Error(`no line after the take-over:\n${second.output()}`);
      await sleep(10);
    }
    const afterSignalMs = Date.now() - signalled;
    if (!new RegExp(`took execution ${id} over`).test(second.output())) throw new Error(`the second server did not take over:\n${second.output()}`);
    // Killed and ended by its owner, which removes the container (a SIGTERM would leave it running).
    await api(second.url, `/api/v1/executions/${id}/kill`, { method: 'DELETE' });
    while (!TERMINAL.has((await store.getExecution(id))!.state)) await sleep(50);
    return { afterSignalMs, leaseLeftMs };
  } finally {
    await store.close();
    await stopServer(first, 'SIGKILL');
    if (second) await stopServer(second);
  }
}

export async function serverTakeover(): Promise<void> {
  if (spawnSync('docker', ['version'], { stdio: 'ignore' }).status !== 0) {
    console.log('\n## Server take-over\n- skipped: no Docker engine answers here');
    return;
  }
  await takeoverOn('SQLite (embedded, one state dir)', async () => undefined);
  const unavailable = postgresUnavailable();
  if (unavailable) {
    console.log(`\n## Server take-over on PostgreSQL\n- skipped: ${unavailable}`);
    return;
  }
  const postgres = await startPostgres({ durable: true });
  try {
    await takeoverOn('PostgreSQL (each server with its own state dir)', () => postgres.createDatabase());
  } finally {
    await postgres.stop();
  }
}

async function takeoverOn(storeName: string, newStoreUrl: StoreUrl): Promise<void> {
  const leaseMs = 2000;
  const lease = (pollMs: number): string[] => ['--lease-ms', String(leaseMs), '--renew-ms', '500', '--poll-ms', String(pollMs)];
  const load = loadAverage();
  const killed: Takeover[] = [];
  const terminatedDefault: Takeover[] = [];
  const terminatedFast: Takeover[] = [];
  for (let round = 0; round < 3; round++) {
    killed.push(await takeover('SIGKILL', lease(500), await newStoreUrl()));
    terminatedDefault.push(await takeover('SIGTERM', lease(500), await newStoreUrl()));
    terminatedFast.push(await takeover('SIGTERM', lease(100), await newStoreUrl()));
  }
  const list = (values: number[]): string => values.map((value) => value.toFixed(0)).join(', ');
  const pastExpiry = killed.map((run) => run.afterSignalMs - run.leaseLeftMs);
  const term = terminatedDefault.map((run) => run.afterSignalMs);
  report(`Server take-over of a running Docker task (a line every 100 ms), lease ${leaseMs} ms renewed every 500 ms, ${storeName}`, {
    'load average before (1, 5, 15 min)': load,
    'SIGKILL: signal → new lines stored by the other server, ms (3 runs)': list(killed.map((run) => run.afterSignalMs)),
    'SIGKILL: of which lease left at the kill, ms': list(killed.map((run) => run.leaseLeftMs)),
    'SIGKILL: lease expiry → new lines stored (the figure minus the lease), ms': `${list(pastExpiry)} (median ${median(pastExpiry).toFixed(0)})`,
    'SIGTERM, --poll-ms 500 (default): signal → new lines stored, ms': `${list(term)} (median ${median(term).toFixed(0)})`,
    'SIGTERM, --poll-ms 100: signal → new lines stored, ms': `${list(terminatedFast.map((run) => run.afterSignalMs))} (median ${median(terminatedFast.map((run) => run.afterSignalMs)).toFixed(0)})`,
  }, 'SIGTERM take-over under 1 s (default poll)', median(term) < 1000);
}

export async function serverBenches(): Promise<void> {
  await serverThroughput();
  await serverHistory();
  await serverSequential();
  await serverTakeover();
}
