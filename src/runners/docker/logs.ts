/**
 * Reading a container's log stream: the daemon multiplexes stdout and stderr into frames
 * (8-byte header: stream type, three zero bytes, big-endian payload length), and with
 * `timestamps=true` every log message starts with its RFC 3339 time and a space. A message is a
 * whole line, or a piece of one when the line was long or had no newline yet: pieces are joined
 * and the line keeps the time of its first piece. A line longer than MAX_LINE_BYTES is kept as several.
 */
import type { LogEntry } from '../contract.ts';
import { LineSplitter, MAX_LINE_BYTES } from '../line-splitter.ts';
import { epochSecondOf } from '../log-replay.ts';

type StreamName = LogEntry['stream'];

/** Receives each line; `cutStarts` as in LineSink. */
export type DockerLogSink = (entry: LogEntry, cutStarts: boolean) => void;

interface PendingLine {
  splitter: LineSplitter;
  timestamp?: string;
  /** Which message of the log its first piece came in. */
  position: number;
}

export class DockerLogDecoder {
  private readonly emit: DockerLogSink;
  private buffered: Buffer = Buffer.alloc(0);
  private messages = 0;
  private readonly pending: Record<StreamName, PendingLine> = { stdout: freshLine(), stderr: freshLine() };

  constructor(emit: DockerLogSink) {
    this.emit = emit;
  }

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let offset = 0;
    while (this.buffered.length - offset >= 8) {
      const size = this.buffered.readUInt32BE(offset + 4);
      if (this.buffered.length - offset - 8 < size) break;
      const type = this.buffered[offset];
      const payload = this.buffered.subarray(offset + 8, offset + 8 + size);
      offset += 8 + size;
      // Type 0 (stdin) never carries output; type 3 is the daemon's own error text: keep it visible.
      this.message(type === 1 ? 'stdout' : 'stderr', payload);
    }
    this.buffered = offset === this.buffered.length ? Buffer.alloc(0) : Buffer.from(this.buffered.subarray(offset));
  }

  /**
   * Emits the last line of each stream even when it had no newline, in log order: a re-read of
   * the log skips by count (log-replay.ts), so every read must emit the same lines in the same order.
   */
  end(): void {
    const streams = (['stdout', 'stderr'] as const).toSorted((a, b) => this.pending[a].position - this.pending[b].position);
    for (const stream of streams) {
      const pending = this.pending[stream];
      pending.splitter.end((rest, cutStarts) => this.emit({ stream, line: stripCarriageReturn(rest), timestamp: pending.timestamp ?? new Date().toISOString() }, cutStarts));
      this.pending[stream] = freshLine();
    }
  }

  private message(stream: StreamName, payload: Buffer): void {
    const pending = this.pending[stream];
    const position = this.messages++;
    if (pending.splitter.empty) pending.position = position;
    const space = payload.indexOf(0x20);
    const stamped = space > 0 && space <= 40 && epochSecondOf(payload.subarray(0, space).toString('latin1')) !== undefined;
    const timestamp = stamped ? payload.subarray(0, space).toString('latin1') : undefined;
    const body = stamped ? payload.subarray(space + 1) : payload;
    if (pending.splitter.empty || pending.timestamp === undefined) pending.timestamp = timestamp ?? pending.timestamp;
    pending.splitter.push(body, (line, cutStarts) => {
      this.emit({ stream, line, timestamp: pending.timestamp ?? timestamp ?? new Date().toISOString() }, cutStarts);
      pending.timestamp = timestamp;
    });
    if (pending.splitter.empty) pending.timestamp = undefined;
  }
}

function freshLine(): PendingLine {
  return { splitter: new LineSplitter({ maxLineBytes: MAX_LINE_BYTES }), position: 0 };
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
