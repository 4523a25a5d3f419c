/**
 * The longest line a task's log keeps whole, in UTF-8 bytes, under every runner. A longer line is
 * cut into pieces of at most this size (at a character boundary), each stored as a line of its
 * own, and the runner says so in a notice. 1 MiB keeps every line a person or a log parser writes,
 * and `::{...}::` outputs of a megabyte, while bounding what one line costs as it passes through
 * the runner, the secret masking and the log store (a few copies of it each): a single 20 MB line
 * would otherwise be held whole, several times over.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

/** The notice a runner gives, once per line, when a line of `where` was cut. */
export function longLineNotice(where: string): string {
  return `a line of ${where} is longer than ${MAX_LINE_BYTES} bytes (1 MiB): it is kept as several lines of at most that size`
    + ' (a ::{...}:: outputs line that long is not read as outputs)';
}

export interface LineSplitterOptions {
  /** Lines longer than this many bytes are cut into pieces of at most this size; unbounded without it. */
  maxLineBytes?: number;
}

/**
 * Receives each line; `cutStarts` is true for the first piece of a line that had to be cut, so the
 * runner gives its notice only for pieces it delivers (a re-read skips what was delivered).
 */
export type LineSink = (line: string, cutStarts: boolean) => void;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into lines across chunk boundaries. Lines are gathered as bytes and decoded
 * whole, so a multi-byte character split between chunks is decoded right. `end()` returns the
 * last line when the stream did not finish with a newline.
 */
export class LineSplitter {
  private readonly maxLineBytes: number;
  private parts: Buffer[] = [];
  private pendingBytes = 0;
  private cutting = false;

  constructor(options: LineSplitterOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? Infinity;
  }

  /** True when no part of a line is waiting for its newline. */
  get empty(): boolean {
    return this.pendingBytes === 0;
  }

  push(chunk: Buffer | string, emit: LineSink): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    let newline = bytes.indexOf(NEWLINE, start);
    while (newline !== -1) {
      this.append(bytes.subarray(start, newline), emit);
      this.finishLine(emit, true);
      start = newline + 1;
      newline = bytes.indexOf(NEWLINE, start);
    }
    this.append(bytes.subarray(start), emit);
  }

  end(emit: LineSink): void {
    if (this.pendingBytes > 0) this.finishLine(emit, false);
  }

  private append(segment: Buffer, emit: LineSink): void {
    if (segment.length === 0) return;
    this.parts.push(segment);
    this.pendingBytes += segment.length;
    while (this.pendingBytes > this.maxLineBytes) {
      const pending = this.take();
      const cut = characterStart(pending, this.maxLineBytes);
      const cutStarts = !this.cutting;
      this.cutting = true;
      emit(pending.toString('utf8', 0, cut), cutStarts);
      // A copy: the piece's chunks are released instead of being held by the rest.
      const rest = Buffer.from(pending.subarray(cut));
      this.parts = [rest];
      this.pendingBytes = rest.length;
    }
  }

  private finishLine(emit: LineSink, newline: boolean): void {
    const line = this.take();
    this.parts = [];
    this.pendingBytes = 0;
    this.cutting = false;
    const end = newline && line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    emit(line.toString('utf8', 0, end), false);
  }

  private take(): Buffer {
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.pendingBytes);
  }
}

/** The largest offset at most `limit` where a UTF-8 character starts (`limit` itself if none does). */
function characterStart(bytes: Buffer, limit: number): number {
  let cut = limit;
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return cut === 0 ? limit : cut;
}
