/**
 * Chaos: one API server (`--workers 0`) and three workers run 30 executions mixing Process, Docker
 * and Kubernetes (simulator) tasks while a random worker is SIGKILLed and restarted every 1–4 s and
 * one is SIGSTOPped past its lease once. Twice: on PostgreSQL (`harrier worker --store`, each worker
 * with its own state dir, as on other machines, sharing the storage dir and the secret key), and on
 * the embedded SQLite store (worker servers sharing one state dir). The seed is printed;
 * HARRIER_CHAOS_SEED=N replays the same choices (the timing of a loaded machine still varies).
 *
 * Process tasks have no retry: an attempt cut short by its server's death is ended "interrupted"
 * and the task runs again as a new attempt (the resubmission), so a Process execution may have
 * several attempts, each with its own lines, the last one complete.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerOrSkip, dockerUnavailable, watchContainerCreates } from '../support/docker.ts';
import { tempStateDir } from '../support/harrier.ts';
import { ensureBusyboxAlias, ensureBusyboxImage } from '../support/images.ts';
import { startBackend, kubeconfigFile } from '../support/kube-backends.ts';
import { postgresUnavailable, startPostgres } from '../support/postgres.ts';
import { api, deployFlow, startServerProcess, startWorkerProcess, untilState, type WorkerProcess } from '../support/server.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { isTerminal, openStore, type Store } from '../../src/store/index.ts';

const EXECUTIONS = 30;
const LINES = 20;
const LEASE_MS = 3000;
const WORKER_ARGS = ['--lease-ms', String(LEASE_MS), '--renew-ms', '500', '--poll-ms', '200'];
/** Chaos lasts this long at most; then the executions left finish in peace. */
const CHAOS_MS = 60_000;

type Kind = 'process' | 'docker' | 'kubernetes';
const KINDS: Kind[] = ['process', 'docker', 'kubernetes'];
const NAMESPACE = 'chaos.team';
/** A take-over's new attempt for a container that never started, made for another worker's working directory. */
const NEVER_STARTED_ELSEWHERE = /^interrupted: .* was started, and it was made for another working directory/;

const RUNNERS: Record<Kind, string> = {
  process: 'type: io.kestra.plugin.core.runner.Process',
  docker: 'type: io.kestra.plugin.scripts.runner.docker.Docker\n      pullPolicy: NEVER',
  kubernetes: 'type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes\n      pullPolicy: IF_NOT_PRESENT',
};

function flowFor(kind: Kind): string {
  return `id: chaos_${kind}
namespace: ${NAMESPACE}
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${ensureBusyboxImage()}
    taskRunner:
      ${RUNNERS[kind]}
    commands:
      - for i in $(seq 1 ${LINES}); do echo line $i; sleep 0.25; done
`;
}

function dockerIds(kind: 'ps' | 'volume', label: string): string[] {
  const args = kind === 'ps' ? ['ps', '-aq', '--filter', `label=${label}`] : ['volume', 'ls', '-q', '--filter', `label=${label}`];
  return execFileSync('docker', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
}

async function untilSaid(server: WorkerProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !pattern.test(server.output());) {
    if (Date.now() > deadline) throw new Error(`the server never printed ${pattern}:\n${server.output().slice(-4000)}`);
    await sleep(100);
  }
}

interface Worker {
  slots: number;
  server: WorkerProcess;
  /** Exits we caused; any other exit of a worker server is a failure. */
  killedByUs: boolean;
}

/** Where the API server and the workers keep executions, and how a worker is started there. */
interface Place {
  frontArgs: string[];
  frontStateDir: string;
  env: Record<string, string>;
  startWorker(slots: number, env: Record<string, string>): Promise<WorkerProcess>;
  /** The store the workers share, opened for the test's own reads. */
  openStore(): Promise<Store>;
  stop(): Promise<void>;
}

/** The pids of the processes that hold a live lease on an unfinished execution. */
async function leaseHolders(place: Place): Promise<Set<number>> {
  const store = await place.openStore();
  try {
    const pids = new Set<number>();
    for (const execution of await store.listExecutions(EXECUTIONS)) {
      if (isTerminal(execution.state)) continue;
      const lease = await store.leaseOf(execution.id);
      if (lease?.holder && lease.expiresAt > Date.now()) pids.add(lease.holder.pid);
    }
    return pids;
  } finally {
    await store.close();
  }
}

async function sqlitePlace(): Promise<Place> {
  const stateDir = tempStateDir('harrier-chaos-');
  return {
    frontArgs: [], frontStateDir: stateDir, env: {},
    startWorker: (slots, env) => startServerProcess({ stateDir, args: ['--workers', String(slots), ...WORKER_ARGS], env }),
    openStore: () => openStore({ stateDir }),
    stop: async () => undefined,
  };
}

async function postgresPlace(): Promise<Place> {
  const postgres = await startPostgres();
  const store = await postgres.createDatabase();
  const shared = ['--storage-dir', mkdtempSync(join(tmpdir(), 'harrier-chaos-storage-'))];
  return {
    frontArgs: ['--store', store, ...shared], frontStateDir: tempStateDir('harrier-chaos-api-'),
    env: { HARRIER_SECRET_KEY: randomBytes(32).toString('base64') },
    startWorker: (slots, env) => startWorkerProcess({ stateDir: tempStateDir('harrier-chaos-worker-'), args: ['--store', store, ...shared, '--slots', String(slots), ...WORKER_ARGS], env }),
    openStore: () => openStore({ stateDir: tempStateDir('harrier-chaos-reader-'), url: store }),
    stop: () => postgres.stop(),
  };
}

const STORES: { name: string; unavailable(): string | undefined; place(): Promise<Place> }[] = [
  { name: 'PostgreSQL', unavailable: postgresUnavailable, place: postgresPlace },
  { name: 'SQLite', unavailable: () => undefined, place: sqlitePlace },
];

for (const { name, unavailable, place: makePlace } of STORES) {
  test(`chaos on ${name}: 30 executions over workers killed, restarted and frozen end SUCCESS, one container or pod per attempt, every line once, nothing left`, { timeout: 300_000 }, async (t) => {
    if (dockerUnavailable()) return void dockerOrSkip(t);
    const missing = unavailable();
    if (missing) {
      if (process.env.CI === 'true') throw new Error(`CI=true and ${missing}`);
      console.log(`# SKIPPED (${name}): ${missing}`);
      return void t.skip(missing);
    }
    const seed = process.env.HARRIER_CHAOS_SEED ? Number(process.env.HARRIER_CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
    t.diagnostic(`chaos seed ${seed} (replay: HARRIER_CHAOS_SEED=${seed})`);
    console.log(`# chaos seed ${seed} (replay: HARRIER_CHAOS_SEED=${seed})`);
    const random = seededRandom(seed);

    ensureBusyboxAlias();
    const backend = await startBackend('simulator');
    const podCreates = new Map<string, number>();
    const unsubscribe = backend.sim!.store.subscribe((event) => {
      const labels = event.object.metadata.labels ?? {};
      if (event.type !== 'ADDED' || labels['harrier.io/namespace'] !== NAMESPACE) return;
      const key = `${labels['harrier.io/execution-id']}/${labels['harrier.io/attempt']}`;
      podCreates.set(key, (podCreates.get(key) ?? 0) + 1);
    });
    const containers = watchContainerCreates(`harrier.io/namespace=${NAMESPACE}`);
    const kubeconfig = kubeconfigFile(backend);
    const place = await makePlace();
    const env = { KUBECONFIG: kubeconfig, ...place.env };
    const unexpectedExits: string[] = [];
    const workers: Worker[] = [];
    /** Every worker server that ever ran, killed ones too: their output is kept. */
    const everyWorker: WorkerProcess[] = [];
    const startWorker = async (worker: Omit<Worker, 'server' | 'killedByUs'>): Promise<Worker> => {
      const server = await place.startWorker(worker.slots, env);
      everyWorker.push(server);
      const started: Worker = { ...worker, server, killedByUs: false };
      void server.child.result.then((result) => {
        if (!started.killedByUs) unexpectedExits.push(`a worker server exited ${result.code ?? result.signal}:\n${result.stderr.slice(-4000)}`);
      });
      return started;
    };
    const front = await startServerProcess({ stateDir: place.frontStateDir, args: ['--workers', '0', ...place.frontArgs], env });
    try {
      for (const slots of [1, 2, 2]) workers.push(await startWorker({ slots }));
      for (const kind of KINDS) assert.equal((await deployFlow(front.url, flowFor(kind))).status, 200);

      const kinds = Array.from({ length: EXECUTIONS }, (_, i) => KINDS[i % KINDS.length]).sort(() => random() - 0.5);
      const submitted: { id: string; kind: Kind }[] = [];
      for (const kind of kinds) {
        const { status, body } = await api(front.url, `/api/v1/executions/${NAMESPACE}/chaos_${kind}`, { method: 'POST' });
        assert.equal(status, 200, JSON.stringify(body));
        submitted.push({ id: body.id, kind });
      }

      const ended = async (): Promise<boolean> => {
        const { body } = await api(front.url, `/api/v1/executions/search?namespace=${NAMESPACE}&size=100`);
        return body.results.filter((execution: any) => ['SUCCESS', 'FAILED', 'KILLED'].includes(execution.state.current)).length === EXECUTIONS;
      };
      const chaosEnds = Date.now() + CHAOS_MS;
      const freezeAt = 1 + Math.floor(random() * 3);
      const events: string[] = [];
      const fencedOut: string[] = [];
      let frozenOnce = false;
      for (let round = 0; Date.now() < chaosEnds && !(await ended()); round++) {
        await sleep(1000 + random() * 3000);
        const index = Math.floor(random() * workers.length);
        // Frozen while it holds an execution (else a later round tries again), so that another
        // worker takes it over and the frozen one's wake-up meets the fence.
        const holders = round >= freezeAt && !frozenOnce ? await leaseHolders(place) : new Set<number>();
        const holding = workers.map((worker, i) => (holders.has(worker.server.child.pid!) ? i : -1)).filter((i) => i >= 0);
        if (holding.length > 0) {
          frozenOnce = true;
          const frozenIndex = holding[index % holding.length];
          const frozen = workers[frozenIndex];
          const pid = frozen.server.child.pid!;
          events.push(`SIGSTOP worker ${frozenIndex} (pid ${pid})`);
          frozen.server.child.kill('SIGSTOP');
          // Past its lease, and until another worker took one of its executions over (the next free
          // slot takes the oldest expired lease first), so that its wake-up meets the fence.
          const takenFrom = new RegExp(`took execution (\\S+) over from \\S+ \\(pid ${pid},`, 'g');
          const taken = (): string[] => [...everyWorker.map((server) => server.output()).join('\n').matchAll(takenFrom)].map((match) => match[1]);
          await sleep(LEASE_MS + 1500);
          for (let waited = 0; waited < 20_000 && taken().length === 0; waited += 200) await sleep(200);
          frozen.server.child.kill('SIGCONT');
          events.push(`SIGCONT worker ${frozenIndex}, ${taken().length} of its executions taken over`);
          for (const id of taken()) {
            await untilSaid(frozen.server, new RegExp(`(lost the lease of|stopped) execution ${id}`), 15_000);
            fencedOut.push(id);
          }
          continue;
        }
        const victim = workers[index];
        events.push(`SIGKILL worker ${index} (pid ${victim.server.child.pid})`);
        victim.killedByUs = true;
        victim.server.child.kill('SIGKILL');
        await victim.server.child.result;
        workers[index] = await startWorker({ slots: victim.slots });
      }
      t.diagnostic(`chaos: ${events.join('; ')}`);

      const documents = new Map<string, any>();
      for (const { id } of submitted) documents.set(id, await untilState(front.url, id, ['SUCCESS', 'FAILED', 'KILLED'], 150_000));
      assert.deepEqual(unexpectedExits, []);
      const failed = submitted.filter(({ id }) => documents.get(id).state.current !== 'SUCCESS');
      assert.deepEqual(failed.map(({ id, kind }) => `${kind} ${id}: ${documents.get(id).state.current} ${JSON.stringify(documents.get(id).taskRunList)}`), [], 'every execution SUCCESS');

      const said = everyWorker.map((server) => server.output()).join('\n');
      const endings = [...said.matchAll(/worker: execution (\S+) ended (\w+)/g)].map((match) => `${match[1]} ${match[2]}`).sort();
      assert.deepEqual(endings, submitted.map(({ id }) => `${id} SUCCESS`).sort(), 'each execution ended by exactly one worker');
      assert.doesNotMatch(front.output(), /worker: /, 'the API server (--workers 0) drives nothing');
      const takeovers = [...said.matchAll(/worker: took execution \S+ over/g)].length;
      assert.ok(takeovers > 0, 'the kills made other workers take executions over');
      assert.ok(fencedOut.length > 0, 'the frozen worker woke up to find at least one execution taken over, and stopped it');
      t.diagnostic(`take-overs: ${takeovers}; executions the frozen worker was fenced out of: ${fencedOut.join(', ')}`);

      // Every broken promise of every execution, with what the workers said about it, then one assertion.
      const problems: string[] = [];
      let processAttempts = 0;
      let cutBeforeCreate = 0;
      let cutBeforeStart = 0;
      for (const { id, kind } of submitted) {
        const attempts: any[] = documents.get(id).taskRunList[0].attempts;
        const problem = (what: string) => problems.push(`${kind} execution ${id}: ${what}`);
        if (kind === 'process') processAttempts += attempts.length;
        if (kind !== 'process') {
          // Attempt N's container or pod carries the label attempt=N. An attempt cut short before its
          // container or pod existed (the runner saves its handle first, so not after) never ran in
          // one: it ends "interrupted" and the next attempt runs. One that had its container or pod
          // must have been re-attached to, never run again: its container or pod is removed only
          // after its end is stored, so a take-over never finds it gone. The one exception never
          // ran: a container created, not yet started, for another worker's working directory.
          const created = kind === 'docker' ? containers.creates : podCreates;
          const counts = attempts.map((_, i) => created.get(`${id}/${i + 1}`) ?? 0);
          const strays = [...created.keys()].filter((key) => key.startsWith(`${id}/`) && !(Number(key.split('/')[1]) <= attempts.length));
          const describeAttempts = () => JSON.stringify(attempts.map((attempt, i) => [attempt.state.current, attempt.error ?? null, counts[i]]));
          if (counts.some((count) => count > 1) || counts.at(-1) !== 1 || strays.length) problem(`containers or pods per attempt ${describeAttempts()}, strays ${strays.join(',')}`);
          attempts.slice(0, -1).forEach((attempt, i) => {
            if (counts[i] === 1 && NEVER_STARTED_ELSEWHERE.test(attempt.error ?? '')) cutBeforeStart++;
            else if (counts[i] === 1) problem(`attempt ${i + 1} had its container or pod but was run again: ${describeAttempts()}`);
            else if (!/^interrupted/.test(attempt.error ?? '')) problem(`attempt ${i + 1} ended without a container or pod for another reason: ${describeAttempts()}`);
            else cutBeforeCreate++;
          });
        }
        const { body: logs } = await api(front.url, `/api/v1/logs/${id}?taskId=count`);
        const byAttempt = new Map<number, number[]>();
        for (const entry of logs) {
          const match = /^line (\d+)$/.exec(entry.message);
          if (match) byAttempt.set(entry.attemptNumber, [...(byAttempt.get(entry.attemptNumber) ?? []), Number(match[1])]);
        }
        for (const [attempt, lines] of byAttempt) {
          if (lines.some((line, i) => line !== i + 1)) problem(`attempt ${attempt} stored lines ${lines.join(',')}`);
        }
        if (byAttempt.get(attempts.length - 1)?.length !== LINES) problem(`the successful attempt stored ${byAttempt.get(attempts.length - 1)?.length ?? 0} of ${LINES} lines`);
        if (problems.some((text) => text.includes(id))) {
          problems.push(`  workers about ${id}: ${said.split('\n').filter((line) => line.includes(id)).join(' | ')}`);
        }
      }
      t.diagnostic(`Process attempts: ${processAttempts} for ${EXECUTIONS / 3} executions; Docker or Kubernetes attempts cut short before their container or pod existed: ${cutBeforeCreate}, before a container made for another worker's working directory started: ${cutBeforeStart}`);
      assert.deepEqual(problems, []);

      await backend.settled('default');
      assert.deepEqual((await backend.listPods('default')).map((pod) => pod.metadata.name), [], 'no pod left');
      assert.deepEqual(await backend.sim!.leftovers(), { containers: [], volumes: [] }, 'the simulator left nothing in Docker');
      const leftContainers = dockerIds('ps', `harrier.io/namespace=${NAMESPACE}`);
      assert.deepEqual(await Promise.all(leftContainers.map(async (id) => {
        const [labels] = execFileSync('docker', ['inspect', id, '--format', '{{json .Config.Labels}}'], { encoding: 'utf8' }).split('\n');
        const executionId = String(JSON.parse(labels)['harrier.io/execution-id'] ?? '');
        const { body: warnings } = await api(front.url, `/api/v1/logs/${executionId}?minLevel=WARN`);
        return `${id} ${labels}; warnings: ${JSON.stringify(warnings)}; workers: ${said.split('\n').filter((line) => executionId && line.includes(executionId)).join(' | ')}`;
      })), [], 'no container left');
      assert.deepEqual(dockerIds('volume', `harrier.io/namespace=${NAMESPACE}`), [], 'no volume left');
    } finally {
      for (const worker of workers) {
        worker.killedByUs = true;
        worker.server.child.kill('SIGCONT');
        await worker.server.stop();
      }
      await front.stop();
      containers.stop();
      unsubscribe();
      await backend.stop();
      await place.stop();
    }
  });
}
