/**
 * Exactly-once delivery of a container's timestamped log across reconnects. The server cuts
 * `sinceTime` to whole seconds, so every reconnect replays part of a second: lines are skipped
 * with the LogCursor rule of the runner contract (everything before the cursor's timestamp, and
 * the first `linesAtTimestamp` lines stamped exactly at it).
 */
import type { LogCursor } from '../contract.ts';

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Nanoseconds since the epoch of an RFC 3339 timestamp, or undefined when it is not one. */
export function timestampNanos(timestamp: string): bigint | undefined {
  const match = TIMESTAMP.exec(timestamp);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** `sinceTime` for a reconnect: the cursor's second, as the server will truncate it anyway. */
export function sinceTimeFor(timestamp: string): string | undefined {
  const nanos = timestampNanos(timestamp);
  if (nanos === undefined) return undefined;
  return new Date(Number(nanos / 1_000_000_000n) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Splits `<RFC3339Nano> <line>` as the kubelet writes it with `timestamps=true`. */
export function splitTimestamp(raw: string): { timestamp: string; line: string } | undefined {
  const space = raw.indexOf(' ');
  const timestamp = space === -1 ? raw : raw.slice(0, space);
  if (timestampNanos(timestamp) === undefined) return undefined;
  return { timestamp, line: space === -1 ? '' : raw.slice(space + 1) };
}

export class LogDeduper {
  private last: bigint | undefined;
  private lastText: string | undefined;
  /** Lines delivered so far stamped exactly `last`. */
  private atLast = 0;
  /** Lines stamped `last` seen on the current connection. */
  private seenAtLast = 0;

  constructor(cursor?: LogCursor) {
    if (cursor) {
      this.last = timestampNanos(cursor.timestamp);
      this.lastText = cursor.timestamp;
      this.atLast = cursor.linesAtTimestamp;
    }
  }

  /** A new connection replays from the start of the cursor's second. */
  reconnected(): void {
    this.seenAtLast = 0;
  }

  /** True when the line is new and must be delivered (and is then counted). */
  accept(timestamp: string): boolean {
    const nanos = timestampNanos(timestamp);
    if (nanos === undefined) return true;
    if (this.last === undefined || nanos > this.last) {
      this.last = nanos;
      this.lastText = timestamp;
      this.atLast = 1;
      this.seenAtLast = 1;
      return true;
    }
    if (nanos < this.last) return false;
    this.seenAtLast++;
    if (this.seenAtLast <= this.atLast) return false;
    this.atLast++;
    return true;
  }

  cursor(): LogCursor | undefined {
    return this.lastText === undefined ? undefined : { timestamp: this.lastText, linesAtTimestamp: this.atLast };
  }
}
