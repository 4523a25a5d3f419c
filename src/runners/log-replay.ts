/**
 * Exactly-once delivery of a container's timestamped log across re-reads: a follow stream that
 * broke or stalled, a last read after the container ended, a new harrier process re-attaching.
 *
 * Container engines and kubelets stamp stdout and stderr lines as they read each pipe, then write
 * them to one log in arrival order, so the stamps of a log are not always increasing: a stderr
 * line can carry an earlier stamp than the stdout line before it. Skipping by stamp alone loses
 * such lines. What holds instead is the order: a read with `since` returns, in log order, every
 * line stamped at or after `since`. What was delivered before, restricted to those stamps, is
 * therefore a prefix of what the re-read returns: skipping exactly as many lines as were delivered
 * with a stamp at or after `since` leaves exactly what was missed. Servers cut `since` to whole
 * seconds, so re-reads start at a whole second, one second before the newest delivered stamp to
 * cover lines written late with an older stamp.
 */
import type { LogCursor } from './contract.ts';

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** The whole epoch second an RFC 3339 stamp falls in, or undefined when the text is not one. */
export function epochSecondOf(timestamp: string): number | undefined {
  const match = RFC3339.exec(timestamp);
  if (!match) return undefined;
  const wholeSecond = `${match[1]}${match[2]}`;
  // Consecutive lines mostly share their second: parse each second once.
  if (wholeSecond !== lastParsed.text) {
    const ms = Date.parse(wholeSecond);
    lastParsed.text = wholeSecond;
    lastParsed.second = Number.isNaN(ms) ? undefined : ms / 1000;
  }
  return lastParsed.second;
}

const lastParsed: { text: string; second: number | undefined } = { text: '', second: undefined };

/** RFC 3339 text of a whole epoch second, as `sinceTime` takes it. */
export function secondText(epochSecond: number): string {
  return new Date(epochSecond * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** How far before the newest delivered stamp a re-read starts. */
const LOOKBACK_SECONDS = 1;

/** A stored line as the cursors see it: its stamp, and the container that printed it when a task has several. */
export interface StoredStamp {
  timestamp: string;
  container?: string;
}

/** Where a re-attach resumes: the attempt's log as one, and each container's own log. */
export interface ResumeCursors {
  logCursor?: LogCursor;
  /** Present when the stored lines name their containers (a pod with several task containers). */
  containerCursors?: Record<string, LogCursor>;
}

/**
 * The cursors for a re-attach, from the lines already stored for the attempt, newest first. With
 * one log, the scan stops once a whole run of lines lies before the window, since stamps are out
 * of order by milliseconds, not by runs of lines. Lines that name their container are counted for
 * that container only, and then every line is read: a quiet container's window can lie anywhere.
 */
export function cursorsFromStored(stampsNewestFirst: Iterable<StoredStamp>, scanPastWindow = 1_000): ResumeCursors {
  const scan = new CursorScan(scanPastWindow);
  for (const stamp of stampsNewestFirst) if (!scan.add(stamp)) break;
  return scan.cursors();
}

/** cursorsFromStored over stamps read from the store as they come. */
export async function cursorsFromStoredStream(stampsNewestFirst: AsyncIterable<StoredStamp>, scanPastWindow = 1_000): Promise<ResumeCursors> {
  const scan = new CursorScan(scanPastWindow);
  for await (const stamp of stampsNewestFirst) if (!scan.add(stamp)) break;
  return scan.cursors();
}

/** The windows of one attempt's log and of each container's, fed stamps newest first. */
class CursorScan {
  private readonly attempt = new StoredWindow();
  private readonly containers = new Map<string, StoredWindow>();
  private readonly scanPastWindow: number;

  constructor(scanPastWindow: number) {
    this.scanPastWindow = scanPastWindow;
  }

  /** false once older stamps cannot change the cursors. */
  add({ timestamp, container }: StoredStamp): boolean {
    const second = epochSecondOf(timestamp);
    if (second === undefined) return true;
    const attemptOpen = this.attempt.add(second, this.scanPastWindow);
    if (container === undefined) return attemptOpen || this.containers.size > 0;
    let window = this.containers.get(container);
    if (!window) {
      window = new StoredWindow();
      this.containers.set(container, window);
    }
    window.add(second, this.scanPastWindow);
    return true;
  }

  cursors(): ResumeCursors {
    const cursors: ResumeCursors = { logCursor: this.attempt.cursor() };
    if (this.containers.size > 0) {
      cursors.containerCursors = {};
      for (const [container, window] of this.containers) {
        const cursor = window.cursor();
        if (cursor) cursors.containerCursors[container] = cursor;
      }
    }
    return cursors;
  }
}

/** The stored lines of one log inside its re-read window, met newest first. */
class StoredWindow {
  private newest: number | undefined;
  private readonly seconds: number[] = [];
  private outsideInARow = 0;

  /** false once more than `scanPastWindow` lines in a row lay before the window: older ones cannot change it. */
  add(second: number, scanPastWindow: number): boolean {
    if (this.outsideInARow > scanPastWindow) return false;
    if (this.newest === undefined || second > this.newest) this.newest = second;
    if (second >= this.newest - LOOKBACK_SECONDS) {
      this.seconds.push(second);
      this.outsideInARow = 0;
      return true;
    }
    return ++this.outsideInARow <= scanPastWindow;
  }

  cursor(): LogCursor | undefined {
    if (this.newest === undefined) return undefined;
    const since = this.newest - LOOKBACK_SECONDS;
    return { since: secondText(since), linesSince: this.seconds.filter((second) => second >= since).length };
  }
}

/**
 * Tracks what one attempt's log delivered, across reads. Call `startRead()` before each read and
 * pass the returned `since` to the server; then ask `accept()` for every line of that read.
 */
export class LogReplay {
  /** Where the current read starts (undefined: the start of the log) and how many of its lines were delivered before. */
  private since: number | undefined;
  private linesSince = 0;
  /** Lines of the current read still to skip. */
  private toSkip = 0;
  /** Lines of the current read stamped at or after `since`, counted per second; seconds too old to matter are dropped. */
  private readonly countBySecond = new Map<number, number>();
  private newest: number | undefined;

  constructor(cursor?: LogCursor) {
    if (cursor) {
      this.since = epochSecondOf(cursor.since);
      this.linesSince = this.since === undefined ? 0 : cursor.linesSince;
    }
  }

  /** The `since` for the next read (a whole-second RFC 3339 time, or undefined for the whole log). */
  startRead(): string | undefined {
    const next = this.nextPoint();
    this.since = next.since;
    this.linesSince = next.linesSince;
    this.toSkip = next.linesSince;
    // The new read returns the skipped lines again, and they are counted again as they pass.
    this.countBySecond.clear();
    this.newest = undefined;
    return this.since === undefined ? undefined : secondText(this.since);
  }

  /** True when the line is new and must be delivered. Lines without a readable stamp are always new. */
  accept(timestamp: string): boolean {
    const second = epochSecondOf(timestamp);
    if (second === undefined) return true;
    if (this.since !== undefined && second < this.since) return true;
    this.count(second);
    if (this.toSkip > 0) {
      this.toSkip--;
      return false;
    }
    return true;
  }

  /** Where the delivered log stands, for a later re-attach. */
  cursor(): LogCursor | undefined {
    const { since, linesSince } = this.nextPoint();
    return since === undefined ? undefined : { since: secondText(since), linesSince };
  }

  /**
   * Where a read started now would begin. While the current read is still skipping, nothing new
   * was delivered: the same place, with the same lines to skip.
   */
  private nextPoint(): { since: number | undefined; linesSince: number } {
    if (this.toSkip > 0 || this.newest === undefined) return { since: this.since, linesSince: this.linesSince };
    const since = Math.max(this.newest - LOOKBACK_SECONDS, this.since ?? -Infinity);
    let linesSince = 0;
    for (const [second, count] of this.countBySecond) if (second >= since) linesSince += count;
    return { since, linesSince };
  }

  private count(second: number): void {
    this.countBySecond.set(second, (this.countBySecond.get(second) ?? 0) + 1);
    if (this.newest === undefined || second > this.newest) {
      this.newest = second;
      for (const old of this.countBySecond.keys()) if (old < second - LOOKBACK_SECONDS) this.countBySecond.delete(old);
    }
  }
}
