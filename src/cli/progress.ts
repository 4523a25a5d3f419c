/**
 * The live status of running tasks that `harrier run` shows under the logs on a terminal: one
 * line per running task with its elapsed time, the runner's phase and reason (a pod's
 * `Pending: ContainerCreating`), and the bytes and rate of a file transfer under way.
 */
import type { RunnerProgress } from '../runners/contract.ts';
import { formatBytes } from '../shared/bytes.ts';
import type { TaskRunRecord } from '../store/index.ts';
import { paint } from './terminal.ts';

export interface TaskStatus {
  taskId: string;
  state: string;
  /** When the task run started (ms since the epoch). */
  since: number;
  phase?: { phase: string; reason?: string };
  transfer?: { direction: 'upload' | 'download'; bytes: number; startedAt: number };
}

/** One status line, without colour; `now` in ms since the epoch. */
export function statusLine(status: TaskStatus, now: number): string {
  const elapsed = wholeSeconds(now - status.since);
  let what = status.state === 'RUNNING' ? 'running' : status.state.toLowerCase();
  if (status.phase) what = status.phase.reason ? `${status.phase.phase}: ${status.phase.reason}` : status.phase.phase;
  if (status.transfer) {
    const { direction, bytes, startedAt } = status.transfer;
    const seconds = (now - startedAt) / 1000;
    const rate = seconds > 0 ? ` at ${formatBytes(Math.round(bytes / seconds))}/s` : '';
    what = `${direction === 'upload' ? 'sending input files' : 'collecting output files'}: ${formatBytes(bytes)}${rate}`;
  }
  return `${status.taskId}  ${elapsed}  ${what}`;
}

/** `7s`, `1m05s`, `2h03m`: a clock that ticks once a second. */
export function wholeSeconds(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}m`;
}

export class TaskStatusBoard {
  private readonly running = new Map<string, TaskStatus>();
  /** Task runs that ended: a runner's late word about them draws nothing. */
  private readonly ended = new Set<string>();

  taskRunChanged(taskRun: TaskRunRecord): void {
    if (taskRun.state === 'RUNNING' || taskRun.state === 'RETRYING') {
      const status = this.statusOf(taskRun);
      // A retry starts a new attempt: the last one's pod phase is no news of it.
      if (status.state !== taskRun.state) Object.assign(status, { state: taskRun.state, phase: undefined, transfer: undefined });
    } else {
      this.running.delete(taskRun.id);
      this.ended.add(taskRun.id);
    }
  }

  /** A task run resumed after a crash is RUNNING already: its runner's progress is the first news of it. */
  progress(taskRun: TaskRunRecord, progress: RunnerProgress): void {
    if (this.ended.has(taskRun.id)) return;
    const status = this.statusOf(taskRun);
    if (progress.kind === 'phase') {
      status.phase = { phase: progress.phase, reason: progress.reason };
    } else if (progress.done) {
      status.transfer = undefined;
    } else {
      status.transfer = { direction: progress.direction, bytes: progress.bytes, startedAt: status.transfer?.startedAt ?? Date.now() };
    }
  }

  private statusOf(taskRun: TaskRunRecord): TaskStatus {
    let status = this.running.get(taskRun.id);
    if (!status) {
      const started = Date.parse(taskRun.startedAt);
      // A ForEach iteration is named by its value too, as in its log lines.
      const taskId = taskRun.value === undefined ? taskRun.taskId : `${taskRun.taskId} ${taskRun.value}`;
      status = { taskId, state: 'RUNNING', since: Number.isFinite(started) ? started : Date.now() };
      this.running.set(taskRun.id, status);
    }
    return status;
  }

  /** The lines to draw, each cut to the terminal's width so that none wraps. */
  lines(colour: boolean, columns: number, now = Date.now()): string[] {
    return [...this.running.values()].map((status) => paint(colour, 'grey', `… ${statusLine(status, now)}`.slice(0, Math.max(10, columns - 1))));
  }
}
