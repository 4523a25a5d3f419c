import type { LogEntry } from '../runners/contract.ts';
import type { TaskContext } from './contract.ts';
import { parseProtocolLine } from './script/protocol.ts';

/**
 * What a task's command prints, read the same way for script tasks and PodCreate. Ordinary lines
 * are logged, those on stderr as WARN; a `::{...}::` line is kept at TRACE and its outputs, metrics
 * and log entries applied, and a malformed one earns a warning. When an attempt re-attaches, the
 * outputs announced before the crash are read back from its stored lines first.
 */
export class OutputReader {
  /** Outputs announced so far: the task's `vars`. */
  readonly vars: Record<string, unknown> = {};
  private stderrLines = 0;
  private readonly ctx: Pick<TaskContext, 'log' | 'notice' | 'metric'>;

  private constructor(ctx: Pick<TaskContext, 'log' | 'notice' | 'metric'>) {
    this.ctx = ctx;
  }

  /** A reader for the attempt, having read back what a re-attached attempt printed before the crash. */
  static async open(ctx: Pick<TaskContext, 'log' | 'notice' | 'metric' | 'resume'>): Promise<OutputReader> {
    const reader = new OutputReader(ctx);
    if (ctx.resume) {
      for await (const { stream, line } of ctx.resume.storedOutput()) {
        const message = parseProtocolLine(line);
        if (message?.kind === 'message' && message.outputs) Object.assign(reader.vars, message.outputs);
        else if (!message && stream === 'stderr') reader.stderrLines++;
      }
    }
    return reader;
  }

  /** Whether the command printed ordinary lines on stderr, before a crash included (`warningOnStdErr`). */
  get wroteToStderr(): boolean {
    return this.stderrLines > 0;
  }

  /** One printed line; pass it as the runner's `log` callback. */
  readonly accept = (entry: LogEntry): void => {
    const { stream, line, timestamp, container } = entry;
    const message = parseProtocolLine(line);
    if (!message) {
      if (stream === 'stderr') this.stderrLines++;
      this.ctx.log({ level: stream === 'stderr' ? 'WARN' : 'INFO', line, stream, timestamp, container });
      return;
    }
    this.ctx.log({ level: 'TRACE', line, stream, timestamp, container });
    if (message.kind === 'invalid') {
      this.ctx.notice('WARN', `ignored a '::{...}::' line: ${message.reason}`);
      return;
    }
    if (message.outputs) Object.assign(this.vars, message.outputs);
    for (const metric of message.metrics) this.ctx.metric({ ...metric, timestamp });
    for (const log of message.logs) this.ctx.log({ level: log.level, line: log.message, timestamp });
  };
}
