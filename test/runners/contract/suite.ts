/**
 * The task runner contract (src/runners/contract.ts) as one set of behaviours, run against every
 * runner through `RunnerJob` alone. A backend is one more `*.test.ts` calling
 * `runnerContractSuite(name, makeBackend)`; for a cluster, `makeBackend` returns
 * `kubernetesBackend({ kubeconfig, namespace, image })` (kubernetes-backend.ts), or
 * `{ unavailable: why }` to skip.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogEntry, ResumeHandle, RunnerJob, TaskRunner } from '../../../src/runners/contract.ts';
import { cursorsFromStored } from '../../../src/runners/log-replay.ts';
import { createRunner, MARKER, processesWith, type ContractBackend, type Unavailable } from './backend.ts';
import type { CrashChildSpec } from './crash-child.ts';
import { runnerOfKind } from '../../../src/runners/table.ts';

export type { ContractBackend, RunnerSpec, Unavailable } from './backend.ts';

export type Behaviour =
  | 'exit-codes' | 'environment' | 'working-dir' | 'outputs-on-failure' | 'log-order' | 'no-trailing-newline'
  | 'long-lines' | 'many-lines' | 'stdin-closed'
  | 'kill' | 'abort-at-start' | 'aborted-before-run' | 'timeout' | 'task-timeout'
  | 'resume-handle' | 'reattach-running' | 'reattach-finished' | 'killed-after-crash' | 'crash-leaves-nothing'
  | 'release' | 'release-gone';

export interface SuiteOptions {
  /**
   * Behaviours this backend is known to break, with the bug: they still run, and are reported as
   * TODO with that text instead of failing the run.
   */
  knownBugs?: Partial<Record<Behaviour, string>>;
}

const OUT = 'out';
const CRASH_CHILD = join(import.meta.dirname, 'crash-child.ts');
/** How long a kill or timeout may take to settle run(): removing a pod is not instant. */
const ABORT_BUDGET_MS = 20_000;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

interface Recorded {
  job: RunnerJob;
  dir: string;
  logs: LogEntry[];
  notices: string[];
  handles: ResumeHandle[];
  /** 'log' and 'handle', in the order the runner reported them. */
  events: Array<'log' | 'handle'>;
  controller: AbortController;
  lines(stream?: LogEntry['stream']): string[];
}

interface JobOptions {
  env?: Record<string, string>;
  outputGlobs?: string[];
  files?: Record<string, string>;
  taskTimeoutMs?: number;
}

type JobFields = Omit<RunnerJob, 'signal' | 'log' | 'notice' | 'saveResumeHandle'>;

/** What the process that was SIGKILLed left: the log it got to store, the handle it saved. */
interface Crashed {
  logged: LogEntry[];
  handle?: ResumeHandle;
}

function fieldsOf(job: RunnerJob): JobFields {
  const { signal, log, notice, saveResumeHandle, ...fields } = job;
  return fields;
}

export function runnerContractSuite(
  name: string,
  makeBackend: () => Promise<ContractBackend | Unavailable>,
  options: SuiteOptions = {},
): void {
  describe(`runner contract: ${name}`, { concurrency: false }, () => {
    let backend: ContractBackend | undefined;
    let runner: TaskRunner;
    let unavailable: string | undefined;
    /** Folders and files the suite made, removed at its end. */
    const made: string[] = [];
    const markers: string[] = [];

    before(async () => {
      const made = await makeBackend();
      if ('unavailable' in made) {
        unavailable = made.unavailable;
        console.log(`# SKIPPED (${name}): ${unavailable}`);
        return;
      }
      backend = made;
      runner = await createRunner(made.runner);
    });

    after(async () => {
      // A failed test may leave its processes: end those this suite started, found by their marker.
      for (const marker of markers) for (const pid of processesWith(marker)) killQuietly(pid);
      await backend?.close();
      for (const path of made) rmSync(path, { recursive: true, force: true });
    });

    function behaviour(id: Behaviour, title: string, body: (t: TestContext, backend: ContractBackend) => Promise<void>): void {
      const bug = options.knownBugs?.[id];
      test(`${id}: ${title}`, bug ? { todo: `known bug: ${bug}` } : {}, async (t) => {
        if (unavailable) {
          t.skip(unavailable);
          return;
        }
        await body(t, backend!);
      });
    }

    function makeJob(task: string, script: string, extra: JobOptions = {}): Recorded {
      const dir = mkdtempSync(join(tmpdir(), 'contract-'));
      made.push(dir);
      mkdirSync(join(dir, OUT), { recursive: true });
      for (const [file, content] of Object.entries(extra.files ?? {})) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), content);
      }
      const marker = randomUUID();
      markers.push(marker);
      const workingDir = runner.workingDirFor(dir);
      return recording({
        identity: {
          executionId: `contract-${randomUUID()}`, namespace: 'harrier.contract', flowId: 'contract', taskId: task,
          taskRunId: randomUUID(), attempt: 1,
        },
        command: ['/bin/sh', '-c', script],
        env: { ...extra.env, WORKING_DIR: workingDir, OUTPUT_DIR: posix.join(workingDir, OUT), [MARKER]: marker },
        hostWorkingDir: dir,
        outputDirName: OUT,
        outputGlobs: extra.outputGlobs ?? [],
        containerImage: backend!.containerImage,
        properties: backend!.properties,
        taskTimeoutMs: extra.taskTimeoutMs,
      });
    }

    /** The job with callbacks that record what the runner reports, and an abort controller of its own. */
    function recording(fields: JobFields): Recorded {
      const controller = new AbortController();
      const recorded: Recorded = {
        dir: fields.hostWorkingDir, logs: [], notices: [], handles: [], events: [], controller,
        lines: (stream) => recorded.logs.filter((entry) => !stream || entry.stream === stream).map((entry) => entry.line),
        job: {
          ...fields,
          signal: controller.signal,
          log: (entry) => {
            recorded.logs.push(entry);
            recorded.events.push('log');
          },
          notice: (level, message) => {
            recorded.notices.push(`${level} ${message}`);
          },
          saveResumeHandle: async (handle) => {
            recorded.handles.push(handle);
            recorded.events.push('handle');
          },
        },
      };
      return recorded;
    }

    function leftBehind(recorded: Recorded): Promise<string[]> {
      return backend!.leftovers(recorded.job);
    }

    /** What the engine does once it stored the attempt's end: release with the last handle saved. */
    function release(recorded: Recorded, handle: ResumeHandle = recorded.handles.at(-1) ?? {}): Promise<void> {
      return runner.release(handle, recorded.job.settings);
    }

    /** What an ended attempt leaves once released: nothing. */
    async function leftAfterRelease(recorded: Recorded, handle?: ResumeHandle): Promise<string[]> {
      await release(recorded, handle);
      return leftBehind(recorded);
    }

    async function runToAbort(recorded: Recorded, reason: 'killed' | 'timeout', afterLine?: string): Promise<unknown> {
      const running = runner.run(recorded.job);
      if (afterLine) await until(() => recorded.lines().includes(afterLine), `'${afterLine}' to be logged`, running);
      const abortedAt = Date.now();
      recorded.controller.abort(reason);
      const outcome = await running.then((result) => ({ resolved: result }), (error: unknown) => ({ rejected: error }));
      assert.ok('rejected' in outcome, `run() must reject after the abort, it resolved ${JSON.stringify(outcome)}`);
      assert.ok(Date.now() - abortedAt < ABORT_BUDGET_MS, 'the abort does not wait for the task to end');
      return outcome.rejected;
    }

    /** Runs the job in a child process and SIGKILLs that process once `killWhen` holds for what it logged. */
    async function crashDuring(recorded: Recorded, killWhen: (logged: LogEntry[]) => boolean): Promise<Crashed> {
      const logFile = join(tmpdir(), `contract-${recorded.job.identity.taskRunId}.log.jsonl`);
      const handleFile = join(tmpdir(), `contract-${recorded.job.identity.taskRunId}.handle.json`);
      made.push(logFile, handleFile);
      const spec: CrashChildSpec = { runner: backend!.runner, job: fieldsOf(recorded.job), logFile, handleFile };
      const child = spawn(process.execPath, [CRASH_CHILD, JSON.stringify(spec)], { stdio: ['ignore', 'ignore', 'inherit'] });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      let killed = false;
      const exitedEarly = exited.then(() => {
        if (!killed) throw new Error(`the crashing process exited (${child.exitCode}) before it was killed`);
      });
      const logged = (): LogEntry[] => (existsSync(logFile)
        ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogEntry)
        : []);
      try {
        await Promise.race([until(() => killWhen(logged()), 'the crashing process to log enough'), exitedEarly]);
      } finally {
        killed = true;
        child.kill('SIGKILL');
        await exited;
      }
      const handle = existsSync(handleFile) ? (JSON.parse(readFileSync(handleFile, 'utf8')) as ResumeHandle) : undefined;
      return { logged: logged(), handle };
    }

    /** The same job run again by a new process, with what the engine would have stored before the crash. */
    function resumed(first: Recorded, crashed: Crashed): Recorded {
      assert.ok(crashed.handle, 'the crashed process saved a resume handle');
      const again = recording(fieldsOf(first.job));
      again.job.resume = { handle: crashed.handle, logCursor: cursorsFromStored(crashed.logged.toReversed()).logCursor };
      return again;
    }

    behaviour('exit-codes', 'the exit code comes back as the command ended: 0, 3, 255', async () => {
      for (const code of [0, 3, 255]) {
        const recorded = makeJob('exit', `echo ending with ${code}; exit ${code}`);
        assert.equal((await runner.run(recorded.job)).exitCode, code);
        assert.deepEqual(recorded.lines(), [`ending with ${code}`]);
      }
    });

    behaviour('environment', 'the task sees its environment exactly, WORKING_DIR and OUTPUT_DIR included', async () => {
      const env = { GREETING: `it's "quoted", $HOME is not expanded, ünï ✓`, EMPTY: '', TWO_LINES: 'one\ntwo' };
      const recorded = makeJob('env', [
        'printf "%s\\n" "$GREETING"',
        'printf "[%s]\\n" "$EMPTY"',
        'printf "%s\\n" "$TWO_LINES"',
        'printf "%s|%s\\n" "$WORKING_DIR" "$OUTPUT_DIR"',
      ].join('\n'), { env });
      assert.equal((await runner.run(recorded.job)).exitCode, 0, recorded.notices.join('\n'));
      assert.deepEqual(recorded.lines(), [env.GREETING, '[]', 'one', 'two', `${recorded.job.env.WORKING_DIR}|${recorded.job.env.OUTPUT_DIR}`]);
    });

    behaviour('working-dir', 'the command runs in the working directory with its input files; the output folder and glob matches come back, nested too', async () => {
      const recorded = makeJob('files', [
        'pwd',
        'cat in.txt data/nested.csv',
        'mkdir -p "$OUTPUT_DIR/deep/er" reports/2024',
        'echo o > "$OUTPUT_DIR/deep/er/o.txt"',
        'echo top > top.csv',
        'echo y > reports/2024/y.txt',
      ].join('\n'), { files: { 'in.txt': 'payload\n', 'data/nested.csv': 'a,b\n' }, outputGlobs: ['*.csv', 'reports/**'] });
      assert.equal((await runner.run(recorded.job)).exitCode, 0, recorded.notices.join('\n'));
      assert.deepEqual(recorded.lines(), [recorded.job.env.WORKING_DIR, 'payload', 'a,b']);
      assert.equal(readFileSync(join(recorded.dir, OUT, 'deep/er/o.txt'), 'utf8'), 'o\n');
      assert.equal(readFileSync(join(recorded.dir, 'top.csv'), 'utf8'), 'top\n');
      assert.equal(readFileSync(join(recorded.dir, 'reports/2024/y.txt'), 'utf8'), 'y\n');
    });

    behaviour('outputs-on-failure', 'a failing command still hands back its output folder and glob matches', async () => {
      const recorded = makeJob('fails', 'echo partial > "$OUTPUT_DIR/partial.txt"; echo r > result.csv; exit 5', { outputGlobs: ['*.csv'] });
      assert.equal((await runner.run(recorded.job)).exitCode, 5);
      assert.equal(readFileSync(join(recorded.dir, OUT, 'partial.txt'), 'utf8'), 'partial\n');
      assert.equal(readFileSync(join(recorded.dir, 'result.csv'), 'utf8'), 'r\n');
    });

    behaviour('log-order', 'each stream keeps its order and every line, lines a moment apart keep their order across streams, every entry is stamped', async (_t, { separatesStreams }) => {
      const count = 300;
      const recorded = makeJob('order', [
        `for i in $(seq 1 ${count}); do echo "out $i"; echo "err $i" >&2; done`,
        'sleep 0.3; echo marker-out; sleep 0.3; echo marker-err >&2; sleep 0.3; echo marker-end',
      ].join('\n'));
      assert.equal((await runner.run(recorded.job)).exitCode, 0);
      const numbered = (prefix: string): string[] => Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}`);
      if (separatesStreams) {
        assert.deepEqual(recorded.lines('stdout'), [...numbered('out'), 'marker-out', 'marker-end']);
        assert.deepEqual(recorded.lines('stderr'), [...numbered('err'), 'marker-err']);
      } else {
        const all = recorded.lines();
        assert.deepEqual(all.filter((line) => line.startsWith('out ')), numbered('out'));
        assert.deepEqual(all.filter((line) => line.startsWith('err ')), numbered('err'));
        assert.equal(all.length, 2 * count + 3);
      }
      const all = recorded.lines();
      assert.ok(all.indexOf('marker-out') < all.indexOf('marker-err') && all.indexOf('marker-err') < all.indexOf('marker-end'), all.slice(-3).join(', '));
      const unstamped = recorded.logs.filter((entry) => !RFC3339.test(entry.timestamp));
      assert.deepEqual(unstamped, []);
    });

    behaviour('no-trailing-newline', 'a last line without a newline is kept, and empty lines stay', async (_t, { separatesStreams }) => {
      // A merged log (Kubernetes) joins two unterminated tails into one line: only stdout's is checked there.
      const script = separatesStreams ? 'echo first; echo; printf "err tail" >&2; sleep 0.2; printf "out tail"' : 'echo first; echo; printf "out tail"';
      const recorded = makeJob('tail', script);
      assert.equal((await runner.run(recorded.job)).exitCode, 0);
      if (separatesStreams) {
        assert.deepEqual(recorded.lines('stdout'), ['first', '', 'out tail']);
        assert.deepEqual(recorded.lines('stderr'), ['err tail']);
      } else {
        assert.deepEqual(recorded.lines(), ['first', '', 'out tail']);
      }
    });

    behaviour('long-lines', 'a line of 100 000 characters and multi-byte text arrive whole', async () => {
      const recorded = makeJob('long', 'head -c 100000 /dev/zero | tr "\\0" x; echo; echo "héllo wörld ✓ 日本"');
      assert.equal((await runner.run(recorded.job)).exitCode, 0);
      assert.deepEqual(recorded.lines().map((line) => (line.length > 50 ? `${line[0]} × ${line.length}` : line)), ['x × 100000', 'héllo wörld ✓ 日本']);
    });

    behaviour('many-lines', 'twenty thousand lines printed at full speed arrive, each once, in order', async () => {
      const count = 20_000;
      const recorded = makeJob('many', `seq 1 ${count}`);
      assert.equal((await runner.run(recorded.job)).exitCode, 0);
      const lines = recorded.lines();
      assert.equal(lines.length, count);
      assert.ok(lines.every((line, i) => line === String(i + 1)), 'in order, none repeated');
    });

    behaviour('stdin-closed', 'a command reading its standard input finds it at its end and goes on', async () => {
      // `timeout` bounds the wait: an open standard input would keep cat, and the test, waiting forever.
      const recorded = makeJob('stdin', 'timeout 10 cat > got.txt; echo "cat ended with $?, read $(wc -c < got.txt) bytes"');
      assert.equal((await runner.run(recorded.job)).exitCode, 0);
      assert.deepEqual(recorded.lines(), ['cat ended with 0, read 0 bytes']);
    });

    behaviour('kill', 'run() rejects with "killed" at once; once released, no process, container, volume or pod is left', async () => {
      const recorded = makeJob('kill', '(sleep 61 >/dev/null 2>&1 &); sleep 62 & echo started; sleep 60');
      const reason = await runToAbort(recorded, 'killed', 'started');
      assert.equal(reason, 'killed');
      assert.deepEqual(await leftAfterRelease(recorded), []);
    });

    behaviour('abort-at-start', 'an abort right after run() is called rejects with the reason and leaves nothing behind', async () => {
      // The command may have started (a process starts within run()): what counts is the reason and the cleanup.
      const recorded = makeJob('early', 'echo started; sleep 30');
      const reason = await runToAbort(recorded, 'killed');
      assert.equal(reason, 'killed');
      assert.deepEqual(await leftAfterRelease(recorded), []);
    });

    behaviour('aborted-before-run', 'run() with an already aborted signal returns a promise that rejects with the reason, and starts nothing', async () => {
      const recorded = makeJob('already', 'echo never');
      recorded.controller.abort('killed');
      let returned: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        returned = runner.run(recorded.job);
      }, 'run() reports through its promise, not by throwing');
      await assert.rejects(returned!, (reason: unknown) => reason === 'killed');
      assert.deepEqual(recorded.lines(), []);
      assert.deepEqual(await leftBehind(recorded), []);
    });

    behaviour('timeout', 'run() rejects with "timeout" at once; once released, nothing is left', async () => {
      const recorded = makeJob('timeout', 'sleep 62 & echo started; sleep 60');
      const reason = await runToAbort(recorded, 'timeout', 'started');
      assert.equal(reason, 'timeout');
      assert.deepEqual(await leftAfterRelease(recorded), []);
    });

    behaviour('task-timeout', "the task's own timeout, with the engine's abort at that deadline, ends the run; once released, nothing is left", async () => {
      const timeoutMs = 1_500;
      const recorded = makeJob('deadline', 'echo started; sleep 60', { taskTimeoutMs: timeoutMs });
      const startedAt = Date.now();
      const timer = setTimeout(() => recorded.controller.abort('timeout'), timeoutMs);
      try {
        await assert.rejects(runner.run(recorded.job), (reason: unknown) => reason === 'timeout' || /time/i.test(String(reason)));
      } finally {
        clearTimeout(timer);
      }
      assert.ok(Date.now() - startedAt < timeoutMs + ABORT_BUDGET_MS);
      assert.deepEqual(await leftAfterRelease(recorded), []);
    });

    behaviour('resume-handle', 'a re-attaching runner saves a JSON resume handle before the task prints anything', async (t) => {
      if (!runnerOfKind(runner.kind).reattaches) {
        t.skip(`${runner.kind} does not re-attach`);
        return;
      }
      const recorded = makeJob('handle', 'echo hello');
      assert.equal((await runner.run(recorded.job)).exitCode, 0);
      assert.ok(recorded.handles.length >= 1, 'a handle was saved');
      for (const handle of recorded.handles) assert.deepEqual(JSON.parse(JSON.stringify(handle)), handle);
      assert.equal(recorded.events[0], 'handle', `reported in this order: ${recorded.events.join(', ')}`);
      assert.deepEqual(await leftAfterRelease(recorded), []);
    });

    const LINES = 30;
    const expected = Array.from({ length: LINES }, (_, i) => `line-${i + 1}`);

    behaviour('reattach-running', 'after a crash mid-task, a run() with the saved handle re-attaches: the log goes on without loss or repetition, outputs come back, nothing is left', async (t) => {
      if (!runnerOfKind(runner.kind).reattaches) {
        t.skip(`${runner.kind} does not re-attach`);
        return;
      }
      const script = `i=1; while [ $i -le ${LINES} ]; do echo line-$i; i=$((i+1)); sleep 0.05; done; echo finished > "$OUTPUT_DIR/result.txt"`;
      const first = makeJob('reattach', script);
      const crashed = await crashDuring(first, (logged) => logged.length >= 5);
      const second = resumed(first, crashed);
      assert.equal((await runner.run(second.job)).exitCode, 0, second.notices.join('\n'));
      assert.deepEqual([...crashed.logged.map((entry) => entry.line), ...second.lines()], expected);
      assert.equal(readFileSync(join(first.dir, OUT, 'result.txt'), 'utf8'), 'finished\n');
      assert.deepEqual(await leftAfterRelease(second, second.handles.at(-1) ?? crashed.handle), []);
    });

    behaviour('reattach-finished', 'a task that ended while no harrier ran is still collected on re-attach, with its exit code and the rest of its log', async (t) => {
      if (!runnerOfKind(runner.kind).reattaches) {
        t.skip(`${runner.kind} does not re-attach`);
        return;
      }
      const script = `echo first; sleep 1; for i in $(seq 1 ${LINES}); do echo line-$i; done; echo x > later.csv; exit 4`;
      const first = makeJob('ended', script, { outputGlobs: ['*.csv'] });
      const crashed = await crashDuring(first, (logged) => logged.some((entry) => entry.line === 'first'));
      // The task needs about a second more; nobody watches it meanwhile.
      await sleep(4_000);
      const second = resumed(first, crashed);
      assert.equal((await runner.run(second.job)).exitCode, 4, second.notices.join('\n'));
      assert.deepEqual([...crashed.logged.map((entry) => entry.line), ...second.lines()], ['first', ...expected]);
      assert.equal(readFileSync(join(first.dir, 'later.csv'), 'utf8'), 'x\n');
      assert.deepEqual(await leftAfterRelease(second, second.handles.at(-1) ?? crashed.handle), []);
    });

    behaviour('killed-after-crash', 'after a crash mid-task, a run() with the saved handle and an already aborted signal rejects at once and runs nothing; release with the handle removes what was left (harrier kill)', async (t) => {
      if (!runnerOfKind(runner.kind).reattaches) {
        t.skip(`${runner.kind} does not re-attach`);
        return;
      }
      const first = makeJob('orphaned', 'echo started; sleep 60');
      const crashed = await crashDuring(first, (logged) => logged.some((entry) => entry.line === 'started'));
      assert.notDeepEqual(await leftBehind(first), [], 'the crash left the task running');
      const second = resumed(first, crashed);
      second.controller.abort('killed');
      const startedAt = Date.now();
      await assert.rejects(runner.run(second.job), (reason: unknown) => reason === 'killed');
      assert.deepEqual(second.lines(), [], 'nothing is run again');
      await release(second, crashed.handle);
      assert.ok(Date.now() - startedAt < ABORT_BUDGET_MS, 'the clean-up does not wait for the task to end');
      await until(async () => (await leftBehind(second)).length === 0, 'what the crash left to be removed', undefined, 10_000).catch(() => undefined);
      assert.deepEqual(await leftBehind(second), []);
    });

    behaviour('release', 'run() leaves the container or pod of an ended task in place; release removes it, and a second release is fine', async (t) => {
      if (!runnerOfKind(runner.kind).reattaches) {
        t.skip(`${runner.kind} does not re-attach: it leaves nothing to release`);
        return;
      }
      const recorded = makeJob('release', 'echo done; exit 3');
      assert.equal((await runner.run(recorded.job)).exitCode, 3);
      assert.notDeepEqual(await leftBehind(recorded), [], 'run() removed what the attempt ran in before its end could be stored');
      assert.deepEqual(await leftAfterRelease(recorded), []);
      await release(recorded);
      assert.deepEqual(await leftBehind(recorded), []);
    });

    behaviour('release-gone', 'release of a handle whose container or pod is gone already (removed by someone else) is fine', async (t, backend) => {
      if (!runnerOfKind(runner.kind).reattaches) {
        t.skip(`${runner.kind} does not re-attach: it leaves nothing to release`);
        return;
      }
      const recorded = makeJob('gone', 'echo done');
      assert.equal((await runner.run(recorded.job)).exitCode, 0);
      // The first handle was saved before anything existed: it names what was about to be made.
      const early = recorded.handles[0];
      await backend.removeLeftovers(recorded.job);
      assert.deepEqual(await leftBehind(recorded), [], 'removed by someone else');
      await release(recorded);
      await release(recorded, early);
      assert.deepEqual(await leftBehind(recorded), []);
    });

    behaviour('crash-leaves-nothing', 'a runner that cannot re-attach leaves nothing running when harrier dies (the resume starts a new attempt)', async (t) => {
      if (runnerOfKind(runner.kind).reattaches) {
        t.skip(`${runner.kind} re-attaches: its work outlives a crash on purpose`);
        return;
      }
      const first = makeJob('orphan', 'echo started; sleep 30; echo "still ran" > late.txt');
      await crashDuring(first, (logged) => logged.some((entry) => entry.line === 'started'));
      await until(async () => (await leftBehind(first)).length === 0, 'the task to end with the process that ran it', undefined, 5_000).catch(() => undefined);
      assert.deepEqual(await leftBehind(first), []);
    });
  });
}

async function until(condition: () => boolean | Promise<boolean>, what: string, failsEarly?: Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  let settled: string | undefined;
  failsEarly?.then((result) => (settled = `resolved ${JSON.stringify(result)}`), (error: unknown) => (settled = `rejected: ${String(error)}`));
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (settled) throw new Error(`run() ${settled} while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
