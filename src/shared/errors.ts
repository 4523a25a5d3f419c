/**
 * Every error that can reach a user is a HarrierError: it carries a one-line message that says
 * where, what was expected and what to do. The CLI prints `message` (and `hint`) and never a stack.
 */
export class HarrierError extends Error {
  readonly hint?: string;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }

  /** The text the CLI prints: the message, then the hint when there is one. */
  userMessage(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** Bad command-line usage: unknown option, missing argument. Exit code 2. */
export class UsageError extends HarrierError {}

/** One problem found in a flow file, located in the source and inside the flow. */
export interface FlowIssue {
  file: string;
  line: number;
  column: number;
  /** Path inside the flow, e.g. `tasks[2].retry.interval`; empty for the whole document. */
  path: string;
  message: string;
}

export function formatFlowIssue(issue: FlowIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** A flow that cannot run: all its problems, listed together. Exit code 2. */
export class FlowValidationError extends HarrierError {
  readonly issues: FlowIssue[];
  constructor(issues: FlowIssue[]) {
    super(issues.map(formatFlowIssue).join('\n'));
    this.issues = issues;
  }
}

/** A bad `--input` value, an unknown input, a missing required input. Exit code 2. */
export class InputError extends HarrierError {}

/** An expression that failed to render: names the expression, the task and the property. */
export class ExpressionError extends HarrierError {}

/** A task runner could not do its job for a reason outside the task's own code. */
export class RunnerError extends HarrierError {}

/** A task attempt failed: non-zero exit, timeout, or a task-level failure. */
export class TaskFailedError extends HarrierError {
  readonly exitCode?: number;
  constructor(message: string, options?: { hint?: string; cause?: unknown; exitCode?: number }) {
    super(message, options);
    this.exitCode = options?.exitCode;
  }
}

/** Why the store failed, for code to branch on (messages are for people). */
export type StoreErrorCode = 'DISK_FULL' | 'DAMAGED' | 'NOT_A_STORE' | 'UNWRITABLE' | 'LOCKED' | 'VERSION' | 'FAILED';

/** The state directory or the embedded store cannot be used. */
export class StoreError extends HarrierError {
  readonly code: StoreErrorCode;
  constructor(message: string, options?: { hint?: string; cause?: unknown; code?: StoreErrorCode }) {
    super(message, options);
    this.code = options?.code ?? 'FAILED';
  }
}

/** The disk under the state directory is full: a store write or a file copy found no space. */
export function isDiskFull(error: unknown): boolean {
  if (error instanceof StoreError) return error.code === 'DISK_FULL';
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOSPC';
}

export function isHarrierError(error: unknown): error is HarrierError {
  return error instanceof HarrierError;
}
