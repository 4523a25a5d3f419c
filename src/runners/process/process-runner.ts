import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { LineSplitter, MAX_LINE_BYTES, longLineNotice } from '../line-splitter.ts';
import { RunnerError } from '../../shared/errors.ts';
import type { LogEntry, RunnerJob, RunnerResult, TaskRunner } from '../contract.ts';
import { TaskCgroup } from './task-cgroup.ts';

/** Grace between SIGTERM and SIGKILL when a task is killed or times out. */
const KILL_GRACE_MS = 2_000;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs the command as a child process group in the host working directory, inside a cgroup of its
 * own where the machine has one (task-cgroup.ts). Kill, timeout and the end of the main process
 * all end the whole group and every process of the cgroup, so nothing is left running.
 */
export class ProcessRunner implements TaskRunner {
  readonly kind = 'process';

  workingDirFor(hostWorkingDir: string): string {
    return hostWorkingDir;
  }

  /** A process leaves nothing to remove: its group and cgroup end with it. */
  async release(): Promise<void> {}

  async run(job: RunnerJob): Promise<RunnerResult> {
    job.signal.throwIfAborted();
    const { executionId, taskRunId, attempt } = job.identity;
    const taskRunGroup = `${executionId}-${taskRunId}-`;
    const name = `${taskRunGroup}${attempt}`;
    // The attempts of a task run follow one another: an earlier one still running was left by a
    // harrier process that died, and must not run on beside this one.
    await TaskCgroup.killLeftovers(taskRunGroup, name);
    job.signal.throwIfAborted();
    const env = { ...process.env, ...job.env };
    // Wrapped, a missing program would be the shell's exit 127: say it as without the wrapper.
    const cgroup = findProgram(job.command[0], env.PATH) ? TaskCgroup.create(name) : undefined;
    const [file, ...args] = cgroup ? cgroup.wrap(job.command) : job.command;
    const started = new Promise<RunnerResult>((resolve, reject) => {
      const child = spawn(file, args, {
        cwd: job.hostWorkingDir,
        env,
        detached: true,
        // fd 3: the cgroup watcher's line to this process (see TaskCgroup.wrap).
        stdio: cgroup ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
      });
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        if (child.pid === undefined) return;
        signalGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS);
      };
      job.signal.addEventListener('abort', onAbort, { once: true });

      const pump = (stream: NodeJS.ReadableStream, name: LogEntry['stream']): void => {
        const splitter = new LineSplitter({ maxLineBytes: MAX_LINE_BYTES });
        // Lines that arrive in the same chunk were read at the same instant: one timestamp for all.
        let timestamp = '';
        const emit = (line: string, cutStarts: boolean): void => {
          if (cutStarts) job.notice('WARN', longLineNotice(name));
          job.log({ stream: name, line, timestamp });
        };
        stream.on('data', (chunk: Buffer) => {
          timestamp = new Date().toISOString();
          splitter.push(chunk, emit);
        });
        stream.on('end', () => {
          timestamp = new Date().toISOString();
          splitter.end(emit);
        });
      };
      pump(child.stdout!, 'stdout');
      pump(child.stderr!, 'stderr');

      child.on('exit', () => {
        // Background children of the task must not outlive it, nor hold its pipes open.
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
        void cgroup?.killAll();
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        job.signal.removeEventListener('abort', onAbort);
        reject(new RunnerError(`cannot start '${file}': ${error.code === 'ENOENT' ? 'command not found' : error.message}`, {
          code: 'COMMAND_NOT_FOUND',
          hint: 'check the task\'s interpreter and that the program is installed on this machine',
          cause: error,
        }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(killTimer);
        job.signal.removeEventListener('abort', onAbort);
        if (job.signal.aborted) {
          reject(job.signal.reason);
          return;
        }
        resolve({ exitCode: code ?? (signal ? 128 + signalNumber(signal) : 1) });
      });
    });
    return cgroup ? started.finally(() => cgroup.killAll()) : started;
  }
}

function findProgram(file: string, path: string | undefined): boolean {
  const candidates = file.includes('/') ? [file] : (path ?? '').split(':').filter(Boolean).map((dir) => join(dir, file));
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
  return numbers[signal] ?? 0;
}
