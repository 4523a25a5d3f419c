/** Which stored log lines `harrier logs` prints: `--level`, `--since`, `--tail`, `--all`. */
import { parseIsoDuration } from '../shared/duration.ts';
import { UsageError } from '../shared/errors.ts';
import type { LogLevel, LogRecord } from '../store/index.ts';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export interface LogFilterOptions {
  level?: string;
  since?: string;
  tail?: string;
  all?: boolean;
}

export interface LogFilter {
  /** The lowest level printed. */
  level: LogLevel;
  /** Epoch ms: older lines are left out. */
  since?: number;
  /** Only the last this many lines (then new ones, with --follow). */
  tail?: number;
}

const RELATIVE = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since`: a date-time (2026-12-01T10:00:00Z), or a time ago (90s, 10m, 2h, 1d, PT15M). */
export function parseSince(text: string, now = Date.now()): number {
  const relative = RELATIVE.exec(text.trim());
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
  const iso = parseIsoDuration(text);
  if (iso !== undefined) return now - iso;
  const date = Date.parse(text);
  if (Number.isFinite(date)) return date;
  throw new UsageError(`--since '${text}' is neither a time ago (90s, 10m, 2h, 1d, PT15M) nor a date-time (2026-12-01T10:00:00Z)`);
}

export function logFilterOf(options: LogFilterOptions, now = Date.now()): LogFilter {
  let level: LogLevel = options.all ? 'TRACE' : 'INFO';
  if (options.level !== undefined) {
    const given = options.level.toUpperCase() as LogLevel;
    if (!LEVELS.includes(given)) throw new UsageError(`--level '${options.level}' is not one of ${LEVELS.join(', ')}`);
    level = given;
  }
  let tail: number | undefined;
  if (options.tail !== undefined) {
    tail = Number(options.tail);
    if (!Number.isInteger(tail) || tail < 0) throw new UsageError(`--tail must be a whole number of lines, not '${options.tail}'`);
  }
  return { level, since: options.since === undefined ? undefined : parseSince(options.since, now), tail };
}

export function keeps(filter: LogFilter, record: LogRecord): boolean {
  if (LEVELS.indexOf(record.level) < LEVELS.indexOf(filter.level)) return false;
  return filter.since === undefined || Date.parse(record.timestamp) >= filter.since;
}

/** The last `count` of the lines offered, in order, holding no more than `count` at a time. */
export class LastLines {
  private readonly ring: LogRecord[] = [];
  private next = 0;
  private readonly count: number;

  constructor(count: number) {
    this.count = count;
  }

  offer(record: LogRecord): void {
    if (this.count === 0) return;
    this.ring[this.next] = record;
    this.next = (this.next + 1) % this.count;
  }

  get lines(): LogRecord[] {
    return this.ring.length < this.count ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}
