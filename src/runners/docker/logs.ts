/**
 * Reading a container's log stream: the engine multiplexes stdout and stderr into frames
 * (8-byte header: stream type, three zero bytes, big-endian payload length), and with
 * `timestamps=true` every log message starts with its RFC 3339 time and a space. A message is a
 * whole line, or a piece of one when the line was long or had no newline yet: pieces are joined
 * and the line keeps the time of its first piece.
 */
import { StringDecoder } from 'node:string_decoder';
import type { LogCursor, LogEntry } from '../contract.ts';

type StreamName = LogEntry['stream'];

interface PendingLine {
  decoder: StringDecoder;
  text: string;
  timestamp?: string;
}

export class DockerLogDecoder {
  private readonly emit: (entry: LogEntry) => void;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending: Record<StreamName, PendingLine> = {
    stdout: { decoder: new StringDecoder('utf8'), text: '' },
    stderr: { decoder: new StringDecoder('utf8'), text: '' },
  };

  constructor(emit: (entry: LogEntry) => void) {
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
      // Type 0 (stdin) never carries output; type 3 is the engine's own error text: keep it visible.
      this.message(type === 1 ? 'stdout' : 'stderr', payload);
    }
    this.buffered = offset === this.buffered.length ? Buffer.alloc(0) : Buffer.from(this.buffered.subarray(offset));
  }

  /** Emits the last line of each stream even when it had no newline. */
  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const pending = this.pending[stream];
      const rest = pending.text + pending.decoder.end();
      if (rest.length > 0) this.emit({ stream, line: stripCarriageReturn(rest), timestamp: pending.timestamp ?? new Date().toISOString() });
      this.pending[stream] = { decoder: new StringDecoder('utf8'), text: '' };
    }
  }

  private message(stream: StreamName, payload: Buffer): void {
    const pending = this.pending[stream];
    const space = payload.indexOf(0x20);
    const stamped = space > 0 && space <= 40 && isTimestamp(payload.subarray(0, space).toString('latin1'));
    const timestamp = stamped ? payload.subarray(0, space).toString('latin1') : undefined;
    const body = stamped ? payload.subarray(space + 1) : payload;
    if (pending.text === '' || pending.timestamp === undefined) pending.timestamp = timestamp ?? pending.timestamp;
    let text = pending.text + pending.decoder.write(body);
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      this.emit({ stream, line: stripCarriageReturn(text.slice(0, newline)), timestamp: pending.timestamp ?? timestamp ?? new Date().toISOString() });
      text = text.slice(newline + 1);
      pending.timestamp = timestamp;
      newline = text.indexOf('\n');
    }
    pending.text = text;
    if (text === '') pending.timestamp = undefined;
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

function isTimestamp(text: string): boolean {
  return RFC3339.test(text);
}

/** Nanoseconds since the epoch of an RFC 3339 time, exact to the nanosecond. */
export function timestampNanos(timestamp: string): bigint {
  const match = RFC3339.exec(timestamp);
  if (!match) throw new Error(`not an RFC 3339 time: ${timestamp}`);
  const seconds = Date.parse(`${match[1]}${match[3]}`) / 1000;
  return BigInt(seconds) * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** The `since` value that asks the engine for everything from the cursor's second on. */
export function sinceForCursor(cursor: LogCursor): number {
  return Number(timestampNanos(cursor.timestamp) / 1_000_000_000n);
}

/**
 * Drops what was already logged before a re-attach: every line stamped before the cursor, and the
 * first `linesAtTimestamp` lines stamped exactly at it (the engine repeats them since `since` is
 * inclusive and only precise to what we ask).
 */
export function createCursorFilter(cursor: LogCursor | undefined): (entry: LogEntry) => boolean {
  if (!cursor) return () => true;
  const at = timestampNanos(cursor.timestamp);
  let toSkipAtCursor = cursor.linesAtTimestamp;
  return (entry) => {
    if (!RFC3339.test(entry.timestamp)) return true;
    const time = timestampNanos(entry.timestamp);
    if (time < at) return false;
    if (time === at && toSkipAtCursor > 0) {
      toSkipAtCursor -= 1;
      return false;
    }
    return true;
  };
}

/** How far before the newest emitted line a re-read starts: stdout and stderr times interleave by less. */
const REREAD_WINDOW_MS = 250;

/**
 * Which of the lines already emitted a re-read would return again. The log is read in file order,
 * so what a follow delivered is a prefix of what a later read from the same `since` returns: after
 * skipping as many lines as were emitted from that instant on, the rest is exactly what was missed,
 * even when stdout and stderr times interleave slightly out of order. Counts are kept per
 * millisecond for the last second only.
 */
export class EmittedTail {
  private readonly countByMs = new Map<number, number>();
  private latestMs: number | undefined;

  record(entry: LogEntry): void {
    if (!RFC3339.test(entry.timestamp)) return;
    const ms = Number(timestampNanos(entry.timestamp) / 1_000_000n);
    this.countByMs.set(ms, (this.countByMs.get(ms) ?? 0) + 1);
    if (this.latestMs === undefined || ms > this.latestMs) {
      this.latestMs = ms;
      if (this.countByMs.size > 1000) {
        for (const old of this.countByMs.keys()) if (old < ms - 1000) this.countByMs.delete(old);
      }
    }
  }

  /** Where to read again from (epoch milliseconds, 0 for the start), and how many lines from there were already emitted. */
  rereadPoint(fallbackSinceMs: number): { sinceMs: number; alreadyEmitted: number } {
    if (this.latestMs === undefined) return { sinceMs: fallbackSinceMs, alreadyEmitted: 0 };
    const sinceMs = Math.max(this.latestMs - REREAD_WINDOW_MS, fallbackSinceMs);
    let alreadyEmitted = 0;
    for (const [ms, count] of this.countByMs) if (ms >= sinceMs) alreadyEmitted += count;
    return { sinceMs, alreadyEmitted };
  }
}

/** The engine's `since` query value for an instant in epoch milliseconds: `seconds.nanoseconds`. */
export function sinceParameter(epochMs: number): string {
  return `${Math.floor(epochMs / 1000)}.${String(epochMs % 1000).padStart(3, '0')}000000`;
}
