/**
 * The task runner contract, the boundary between tasks and where commands run. Script tasks hand a
 * RunnerJob to a TaskRunner; the engine itself knows runners only through this file's types, the
 * registry that loads them and log-replay.ts (resume cursors). Runner code sees nothing of the
 * engine or the store.
 */
import type { RunnerKind } from './table.ts';

/** The abort reason that hands an attempt over to another process instead of ending it. */
export const DETACHED = 'detached';

/** Whether the job was aborted to be handed over (nothing may be killed or deleted then). */
export function isDetached(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason === DETACHED;
}

/** Who the task is: used for container/pod names and labels, never for control flow. */
export interface TaskIdentity {
  executionId: string;
  namespace: string;
  flowId: string;
  taskId: string;
  taskRunId: string;
  /** 1-based attempt number of this task run. */
  attempt: number;
}

/** One complete line the task printed, without its trailing newline. */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  line: string;
  /** RFC 3339 with up to nanosecond precision, as the runtime stamped it (or as the runner saw it). */
  timestamp: string;
  /** The container that printed it, when a task has several (PodCreate). */
  container?: string;
}

export type NoticeLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * Where an attempt stands, for a live status line; never stored. `phase` is the runner's own
 * word for it (a pod's phase) with an optional reason; `transfer` counts the bytes of input or
 * output files on their way so far.
 */
export type RunnerProgress =
  | { kind: 'phase'; phase: string; reason?: string }
  | { kind: 'transfer'; direction: 'upload' | 'download'; bytes: number; done: boolean };

/**
 * What a runner persists for an attempt so that, after the harrier process died, a new process can
 * re-attach to the same container or pod. Runner-defined content; stored as JSON.
 */
export type ResumeHandle = Record<string, string | number | boolean>;

/**
 * Where the engine's log of an attempt stopped before a crash. A re-attaching runner reads the
 * container log again from `since` (a whole second, RFC 3339): that read returns first, in the
 * same order, the `linesSince` lines already stored with a stamp at or after `since`, which it
 * skips, then the lines that were missed (see log-replay.ts).
 */
export interface LogCursor {
  since: string;
  linesSince: number;
}

export interface RunnerResume {
  handle: ResumeHandle;
  logCursor?: LogCursor;
  /** For a pod with several task containers (PodCreate): each container's own log cursor. */
  containerCursors?: Record<string, LogCursor>;
}

export interface RunnerJob {
  identity: TaskIdentity;
  /** The full argv: interpreter plus the rendered command line. */
  command: string[];
  /** The complete environment the task sees (WORKING_DIR / OUTPUT_DIR included). */
  env: Record<string, string>;
  /** Host directory prepared by the engine: input files and namespace files are already there. */
  hostWorkingDir: string;
  /** Output folder, relative to the working directory. */
  outputDirName: string;
  /** `outputFiles` globs, relative to the working directory. */
  outputGlobs: string[];
  containerImage?: string;
  /** The task's `taskRunner` properties, expressions rendered, validated against the runner schema. */
  properties: Record<string, unknown>;
  /** The task's own `timeout`, which wins over a runner's default completion budget. */
  taskTimeoutMs?: number;
  /**
   * Aborted with reason `'killed'` or `'timeout'`: stop the work, reject with the reason (`release`
   * removes what is left).
   * Aborted with `DETACHED`: another harrier process owns the attempt now; stop watching, leave the
   * container or pod as it is (the new owner re-attaches to it), reject with the reason.
   */
  signal: AbortSignal;
  /** Every line the task prints, in order. */
  log(entry: LogEntry): void;
  /** The runner's own messages (pulling image, pod kept, re-attached), stored with the task's logs. */
  notice(level: NoticeLevel, message: string): void;
  /** Live progress, as often as it changes; the caller keeps only the latest. */
  progress?(progress: RunnerProgress): void;
  /**
   * The command line's settings for this runner kind (Kubernetes: `kubeconfig`, `context`), kept
   * with the execution so that a resume uses the same. A task's own properties win over them.
   */
  settings?: Record<string, string>;
  /**
   * Set when the engine resumes an attempt that a previous harrier process started: the runner
   * re-attaches to what the handle names.
   */
  resume?: RunnerResume;
  /**
   * Persist the handle before starting anything that could outlive this process; save it again
   * whenever what `release` must know of it changes. The last one saved is what `release` gets.
   */
  saveResumeHandle(handle: ResumeHandle): Promise<void>;
}

export interface RunnerResult {
  exitCode: number;
  /**
   * When run() resolves, every file the task wrote under the output folder or matching the
   * output globs is present at the same relative path under `hostWorkingDir`, on failure too.
   */
  details?: Record<string, string | number>;
}

export interface TaskRunner {
  readonly kind: RunnerKind;
  /** Where the task sees its working directory; `{{workingDir}}` and WORKING_DIR take this value. */
  workingDirFor(hostWorkingDir: string): string;
  /**
   * Runs one attempt to its end. Whatever the end (success, failure, kill, timeout), the container,
   * volume or pod stays: the engine removes it with `release` once it stored the attempt's end, so
   * that a harrier process that dies in between leaves an attempt it can still re-attach to,
   * never one run twice. On an abort the work is stopped (a container killed; a pod, which
   * cannot be stopped, is deleted by `release` right after). Rejects with the abort reason at once
   * when `signal` is already aborted.
   */
  run(job: RunnerJob): Promise<RunnerResult>;
  /**
   * Removes everything the handle names (container, volume, pod), as the attempt left it; what the
   * task chose to keep (`delete: false`) stays, the handle says so. Idempotent: what is already
   * gone counts as removed. `settings` are the command line's for this runner kind (RunnerJob.settings).
   * Rejects with a RunnerError when the removal could not be done; the engine retries it later.
   */
  release(handle: ResumeHandle, settings?: Record<string, string>): Promise<void>;
}
