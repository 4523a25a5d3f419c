/**
 * Workers on other machines, as a user runs them: an API server (`--workers 0`) and `harrier worker`
 * processes, each with its own state dir, on one real PostgreSQL store, sharing only what Kestra's
 * components share: the internal storage folder (--storage-dir) and the secret key
 * (HARRIER_SECRET_KEY). Files and secrets cross "machines"; LISTEN/NOTIFY wakes idle workers across
 * processes; SIGTERM hands a Docker task over at once and SIGKILL after lease expiry, re-attached
 * to the same container, every line stored once.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerUnavailable, watchContainerCreates } from '../support/docker.ts';
import { harrier, tempStateDir } from '../support/harrier.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';
import {
  api, deployFlow, startServerProcess, startWorkerProcess, untilState, type ServerProcess, type WorkerProcess,
} from '../support/server.ts';

const SECRET_VALUE = 'tr0ub4dor-and-3';
const LINES = 30;
/** Short leases so that a take-over after SIGKILL happens within a test's patience. */
const LEASE_MS = 3000;
const LEASE_ARGS = ['--lease-ms', String(LEASE_MS), '--renew-ms', '500'];

interface Machines {
  server: ServerProcess;
  workers: WorkerProcess[];
  /** Starts one more worker, on a machine of its own (B, C...), with the same store, storage dir and key. */
  addWorker(args?: string[], workerEnv?: Record<string, string>): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

describe('workers on other machines, on PostgreSQL', { concurrency: false }, () => {
  const unavailable = postgresUnavailable() ?? dockerUnavailable();
  if (unavailable) {
    test('PostgreSQL and Docker', (t) => {
      if (process.env.CI === 'true') throw new Error(`CI=true and ${unavailable}`);
      t.skip(unavailable);
    });
    return;
  }
  let postgres: TestPostgres;
  const containerCreates = watchContainerCreates('harrier.io/namespace=company.team');
  const env = { HARRIER_SECRET_KEY: randomBytes(32).toString('base64') };
  before(async () => {
    postgres = await startPostgres();
  });
  after(async () => {
    containerCreates.stop();
    await postgres?.stop();
  });

  /** A server on machine A and workers on B, C...: each its own state dir, one database, one storage dir, one key. */
  async function machines(workerCount: number, workerArgs: string[] = []): Promise<Machines> {
    const store = await postgres.createDatabase();
    const storageDir = mkdtempSync(join(tmpdir(), 'harrier-shared-storage-'));
    const namespaceFiles = mkdtempSync(join(tmpdir(), 'harrier-shared-namespace-files-'));
    const shared = ['--storage-dir', storageDir, '--namespace-files', namespaceFiles];
    const server = await startServerProcess({ stateDir: tempStateDir('harrier-machine-a-'), args: ['--workers', '0', '--store', store, ...shared], env });
    const workers: WorkerProcess[] = [];
    const addWorker = async (args = workerArgs, workerEnv = env): Promise<WorkerProcess> => {
      const machine = 'bcdefgh'[workers.length];
      const worker = await startWorkerProcess({
        // The workers take the store from the environment, as a container would.
        stateDir: tempStateDir(`harrier-machine-${machine}-`), args: [...shared, '--slots', '1', '--name', `worker-${machine}`, ...args], env: { ...workerEnv, HARRIER_STORE: store },
      });
      workers.push(worker);
      return worker;
    };
    for (let i = 0; i < workerCount; i++) await addWorker();
    return {
      server, workers, addWorker,
      stop: async () => {
        for (const worker of workers) worker.child.kill('SIGCONT');
        await Promise.all([server, ...workers].map((process) => process.stop()));
      },
    };
  }

  test('a SECRET input, a FILE input and a namespace file uploaded to the API server, and an output file, cross machines through the shared folders and key', async () => {
    const cluster = await machines(2);
    try {
      const deployed = await deployFlow(cluster.server.url, `id: across
namespace: company.team
inputs:
  - id: token
    type: SECRET
  - id: data
    type: FILE
tasks:
  - id: use
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    namespaceFiles:
      enabled: true
    outputFiles: ["result.txt"]
    commands:
      - echo "using {{ inputs.token }}"
      - echo "key:\${HARRIER_SECRET_KEY:-unset} store:\${HARRIER_STORE:-unset}"
      - printf '%s|' "{{ inputs.token }}" > result.txt
      - cat "{{ inputs.data }}" config/settings.txt >> result.txt
`);
      assert.equal(deployed.status, 200, deployed.text);
      const upload = new FormData();
      upload.append('fileContent', new Blob(['namespace file on A\n']), 'settings.txt');
      assert.equal((await api(cluster.server.url, '/api/v1/namespaces/company.team/files?path=/config/settings.txt', { method: 'POST', body: upload })).status, 204);
      const form = new FormData();
      form.append('token', SECRET_VALUE);
      form.append('data', new Blob(['uploaded on machine A\n']), 'data.txt');
      const created = await api(cluster.server.url, '/api/v1/executions/company.team/across', { method: 'POST', body: form });
      assert.equal(created.status, 200, created.text);
      const ended = await untilState(cluster.server.url, created.body.id, ['SUCCESS', 'FAILED', 'KILLED', 'WARNING'], 60_000);
      const said = cluster.workers.map((worker) => worker.output()).join('\n--- next worker:\n');
      assert.equal(ended.state.current, 'SUCCESS', `${JSON.stringify(ended.taskRunList)}\n${said}`);
      assert.equal(cluster.workers.filter((worker) => worker.output().includes(`execution ${created.body.id} ended SUCCESS`)).length, 1, said);

      const uri = ended.taskRunList[0].outputs.outputFiles['result.txt'];
      const file = await fetch(`${cluster.server.url}/api/v1/executions/${created.body.id}/file?path=${encodeURIComponent(uri)}`);
      assert.equal(file.status, 200);
      assert.equal(await file.text(), `${SECRET_VALUE}|uploaded on machine A\nnamespace file on A\n`, 'the worker decrypted the secret, read the uploads; the server serves its output');
      for (const process of [cluster.server, ...cluster.workers]) {
        for (const folder of ['storage', 'namespace-files']) {
          assert.equal(existsSync(join(process.stateDir, folder)), false, `nothing in ${process.stateDir}/${folder}: every file is in the shared folders`);
        }
        assert.equal(existsSync(join(process.stateDir, 'secret.key')), false, 'no machine made its own key');
      }
      const logs = (await api(cluster.server.url, `/api/v1/logs/${created.body.id}`)).body;
      assert.ok(logs.some((entry: any) => entry.message === 'using ******'), JSON.stringify(logs));
      assert.ok(logs.some((entry: any) => entry.message === 'key:unset store:unset'), 'a Process task inherits neither HARRIER_SECRET_KEY nor HARRIER_STORE');
      assert.ok(!JSON.stringify(logs).includes(SECRET_VALUE), 'the secret is masked in the stored logs');
      for (const process of [cluster.server, ...cluster.workers]) {
        assert.doesNotMatch(process.output(), /WARN/, 'with a storage dir and a key nothing is missing');
        assert.ok(!process.output().includes(env.HARRIER_SECRET_KEY), 'the key is never logged');
      }
    } finally {
      await cluster.stop();
    }
  });

  test('a worker given another key ends an execution with a SECRET input FAILED with the reason, once, instead of taking it again and again', async () => {
    const cluster = await machines(0);
    try {
      const worker = await cluster.addWorker([], { HARRIER_SECRET_KEY: randomBytes(32).toString('base64') });
      assert.equal((await deployFlow(cluster.server.url, 'id: keyed\nnamespace: company.team\ninputs:\n  - id: token\n    type: SECRET\ntasks:\n  - id: hi\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ inputs.token }}"\n')).status, 200);
      const form = new FormData();
      form.append('token', SECRET_VALUE);
      const { body } = await api(cluster.server.url, '/api/v1/executions/company.team/keyed', { method: 'POST', body: form });
      const ended = await untilState(cluster.server.url, body.id, ['SUCCESS', 'FAILED', 'KILLED'], 20_000);
      assert.equal(ended.state.current, 'FAILED', worker.output());
      const logs = (await api(cluster.server.url, `/api/v1/logs/${body.id}`)).body;
      assert.ok(logs.some((entry: any) => entry.level === 'ERROR' && /this worker cannot decrypt the execution's secrets: a secret in this store does not decrypt with HARRIER_SECRET_KEY .*same HARRIER_SECRET_KEY/.test(entry.message)), JSON.stringify(logs));
      await sleep(500);
      assert.equal(worker.output().split('\n').filter((line) => line.includes(body.id)).length, 1, `one line, not a loop:\n${worker.output().slice(0, 2000)}`);
      assert.ok(!worker.output().includes(SECRET_VALUE));
    } finally {
      await cluster.stop();
    }
  });

  test('a server and a worker on PostgreSQL with nothing shared say so in one WARN line each at start', async () => {
    const store = await postgres.createDatabase();
    const server = await startServerProcess({ args: ['--workers', '0', '--store', store] });
    const worker = await startWorkerProcess({ args: ['--store', store, '--slots', '1'] });
    try {
      for (const process of [server, worker]) {
        const warnings = process.output().split('\n').filter((line) => line.startsWith('WARN'));
        assert.equal(warnings.length, 1, process.output());
        assert.match(warnings[0], /--storage-dir .*--namespace-files .*HARRIER_SECRET_KEY/);
      }
    } finally {
      await Promise.all([server.stop(), worker.stop()]);
    }
  });

  test('LISTEN/NOTIFY across processes: workers polling once a minute pick an execution created over the API up at once', async () => {
    const cluster = await machines(2, ['--poll-ms', '60000']);
    try {
      assert.equal((await deployFlow(cluster.server.url, 'id: quick\nnamespace: company.team\ntasks:\n  - id: hi\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n')).status, 200);
      // The workers' first look at the queue is over; from now on only a notification wakes them within a minute.
      await sleep(1000);
      const pickups: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const { body } = await api(cluster.server.url, '/api/v1/executions/company.team/quick', { method: 'POST' });
        await until(`execution ${body.id} to leave CREATED`, async () => (await api(cluster.server.url, `/api/v1/executions/${body.id}`)).body.state.current !== 'CREATED', 20_000, 10);
        pickups.push(Date.now() - started);
        await untilState(cluster.server.url, body.id, ['SUCCESS'], 20_000);
      }
      const sorted = [...pickups].sort((a, b) => a - b);
      console.log(`# pick-up after POST with --poll-ms 60000 (ms, 5 executions): ${pickups.join(', ')}; median ${sorted[2]}, max ${sorted[4]}`);
      assert.ok(sorted[4] < 5000, `every execution was picked up within 5 s of its creation, not after a poll (${pickups.join(', ')} ms)`);
    } finally {
      await cluster.stop();
    }
  });

  const counting = (id: string): string => `id: ${id}
namespace: company.team
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${ensureBusyboxImage()}
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
      pullPolicy: NEVER
    commands:
      - for i in $(seq 1 ${LINES}); do echo line $i; sleep 0.25; done
`;

  async function numberedLines(server: ServerProcess, executionId: string): Promise<number[]> {
    const { body } = await api(server.url, `/api/v1/logs/${executionId}?taskId=count`);
    return body.flatMap((entry: any) => {
      const match = /^line (\d+)$/.exec(entry.message);
      return match ? [Number(match[1])] : [];
    });
  }

  const containersOf = (executionId: string): string[] => execFileSync('docker', ['ps', '-aq', '--filter', `label=harrier.io/execution-id=${executionId}`], { encoding: 'utf8' })
    .split('\n').filter(Boolean);
  const createsOf = (executionId: string): number => [...containerCreates.creates].filter(([key]) => key.startsWith(`${executionId}/`)).reduce((sum, [, count]) => sum + count, 0);

  /**
   * Worker B drives a Docker task; `stop` ends B its way; worker C, started idle once B has the
   * execution, takes it over: the same container, every line once, SUCCESS, nothing left. The take-over time.
   */
  async function handOver(flowId: string, stop: (worker: WorkerProcess) => Promise<void>, takenOver: RegExp): Promise<number> {
    const cluster = await machines(1, LEASE_ARGS);
    try {
      assert.equal((await deployFlow(cluster.server.url, counting(flowId))).status, 200);
      const { body: execution } = await api(cluster.server.url, `/api/v1/executions/company.team/${flowId}`, { method: 'POST' });
      await until('line 3 stored', async () => (await numberedLines(cluster.server, execution.id)).includes(3));
      const container = containersOf(execution.id);
      assert.equal(container.length, 1);
      const creates = createsOf(execution.id);
      assert.equal(creates, 1, 'its container was counted when created');
      const [first, second] = [cluster.workers[0], await cluster.addWorker()];
      const stoppedAt = Date.now();
      await stop(first);
      assert.deepEqual(containersOf(execution.id), container, 'the container outlives the worker');
      await until(`worker C to take execution ${execution.id} over`, () => takenOver.test(second.output()) && second.output().includes(execution.id), 30_000, 20);
      const takeoverMs = Date.now() - stoppedAt;
      const ended = await untilState(cluster.server.url, execution.id, ['SUCCESS', 'FAILED', 'KILLED'], 60_000);
      assert.equal(ended.state.current, 'SUCCESS', `${second.output()}\n--- first worker:\n${first.output()}`);
      assert.equal(ended.taskRunList[0].attempts.length, 1, 'the same attempt, re-attached');
      assert.deepEqual(await numberedLines(cluster.server, execution.id), Array.from({ length: LINES }, (_, i) => i + 1), 'every line stored once');
      assert.equal(createsOf(execution.id), creates, 'no second container');
      await until('the container removed', () => containersOf(execution.id).length === 0, 10_000);
      return takeoverMs;
    } finally {
      await cluster.stop();
    }
  }

  test('SIGTERM of the driving worker: the other worker takes the Docker task over at once, before the lease would expire', async () => {
    const takeoverMs = await handOver('handed_over', async (worker) => {
      worker.child.kill('SIGTERM');
      const result = await worker.child.result;
      assert.equal(result.code, 0, result.stderr);
    }, /took execution \S+ over \(released by its previous worker\)/);
    console.log(`# take-over after SIGTERM, worker to worker on PostgreSQL: ${takeoverMs} ms (lease ${LEASE_MS} ms)`);
    assert.ok(takeoverMs < LEASE_MS, `taken over ${takeoverMs} ms after SIGTERM, within the ${LEASE_MS} ms lease`);
  });

  test('SIGKILL of the driving worker: the other worker takes the Docker task over once the lease expired', async () => {
    const takeoverMs = await handOver('killed_worker', async (worker) => {
      worker.child.kill('SIGKILL');
      await worker.child.result;
    }, /took execution \S+ over from worker-b \(pid \d+, lease expired\)/);
    console.log(`# take-over after SIGKILL, worker to worker on PostgreSQL: ${takeoverMs} ms (lease ${LEASE_MS} ms, renewed every 500 ms)`);
    assert.ok(takeoverMs < LEASE_MS + 10_000, `taken over ${takeoverMs} ms after SIGKILL`);
  });
});

test('harrier worker on an unreachable PostgreSQL: exit 1, one line, no password, what to do', async () => {
  const result = await harrier(['worker', '--store', 'postgresql://u:pw-never-shown@127.0.0.1:1/db', '--state-dir', tempStateDir()], { timeoutMs: 60_000 });
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^error: .*127\.0\.0\.1:1/);
  assert.ok(!result.stderr.includes('pw-never-shown'), result.stderr);
  assert.match(lines[0], /\((check|start|make sure)[^)]*\)|: (check|start)/i, 'it says what to do');
});

test('an invalid HARRIER_SECRET_KEY: the server and the worker exit 2 with one line naming the variable and how to make one', async () => {
  for (const command of [['worker'], ['server', '--port', '0']]) {
    const result = await harrier([...command, '--state-dir', tempStateDir()], { env: { HARRIER_SECRET_KEY: 'c2hvcnQ=' }, timeoutMs: 60_000 });
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /^error: HARRIER_SECRET_KEY must be the base64 of 32 random bytes, but it decodes to 5 bytes .*openssl rand -base64 32/);
    assert.ok(!result.stderr.includes('c2hvcnQ='), 'the value is never shown');
  }
});
