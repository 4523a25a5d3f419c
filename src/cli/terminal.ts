/**
 * Buffered, colour-aware output. A task that prints a million lines must not cost a million
 * write() calls, so text is gathered and written once per turn of the event loop.
 */
const closedStreams = new WeakSet<NodeJS.WritableStream>();

/**
 * A reader that went away (`harrier run … | head -1`: EPIPE) or a stream that broke ends our
 * writing to it, never the process: the execution runs to its end, and its logs are all stored.
 */
export function tolerateClosedOutput(stream: NodeJS.WritableStream): void {
  stream.on('error', () => closedStreams.add(stream));
}

export function isClosedOutput(stream: NodeJS.WritableStream): boolean {
  return closedStreams.has(stream);
}

/**
 * Colour as the conventions say: NO_COLOR (any non-empty value) turns it off, else FORCE_COLOR
 * (other than 0 or false) turns it on even in a pipe, else a terminal (not TERM=dumb) has it.
 */
export function colourWanted(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

/** What erases `count` footer lines drawn last, the cursor being at the end of the last one. */
export function eraseLines(count: number): string {
  return count === 0 ? '' : `\r\x1b[2K${'\x1b[1A\x1b[2K'.repeat(count - 1)}`;
}

export class BufferedWriter {
  private readonly stream: NodeJS.WriteStream;
  private chunks: string[] = [];
  private scheduled = false;
  private footer: (() => string[]) | undefined;
  private footerLines = 0;
  private footerDrawn = '';
  private footerDirty = false;
  readonly colour: boolean;

  constructor(stream: NodeJS.WriteStream) {
    this.stream = stream;
    this.colour = colourWanted(Boolean(stream.isTTY));
  }

  /** A terminal: live status lines can be drawn and erased there. */
  get live(): boolean {
    return Boolean(this.stream.isTTY) && process.env.TERM !== 'dumb';
  }

  get columns(): number {
    return this.stream.columns || 80;
  }

  /**
   * Lines kept under the text on a terminal, erased and drawn again after each write and on
   * `refreshFooter()`; undefined erases them for good. Ignored where the stream is no terminal.
   */
  setFooter(render: (() => string[]) | undefined): void {
    if (!this.live) return;
    this.footer = render;
    this.refreshFooter();
  }

  refreshFooter(): void {
    if (this.footer === undefined && this.footerLines === 0) return;
    this.footerDirty = true;
    this.schedule();
  }

  /**
   * Runs `writeElsewhere` (a write to another stream of the same terminal) with the footer
   * erased, then draws the footer again below what it wrote.
   */
  aside(writeElsewhere: () => void): void {
    const shown = this.footer;
    this.footer = undefined;
    this.flush();
    writeElsewhere();
    this.footer = shown;
    this.refreshFooter();
  }

  write(text: string): void {
    this.chunks.push(text);
    if (this.chunks.length >= 4096) this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  line(text: string): void {
    this.write(`${text}\n`);
  }

  /** True once the stream cannot be written any more; what is written then is dropped. */
  get closed(): boolean {
    return isClosedOutput(this.stream);
  }

  flush(): void {
    this.scheduled = false;
    if (this.chunks.length === 0 && !this.footerDirty) return;
    let text = this.chunks.join('');
    this.chunks = [];
    if (this.footer !== undefined || this.footerLines > 0) {
      const lines = this.footer?.() ?? [];
      const drawn = lines.join('\n');
      // The same lines with nothing above them: the terminal already shows them.
      if (text === '' && drawn === this.footerDrawn) {
        this.footerDirty = false;
        return;
      }
      text = eraseLines(this.footerLines) + text + drawn;
      this.footerLines = lines.length;
      this.footerDrawn = drawn;
    }
    this.footerDirty = false;
    if (!this.closed && text !== '') this.stream.write(text);
  }

  /** Resolves once everything written so far has reached the stream (or the stream closed). */
  drain(): Promise<void> {
    this.flush();
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.stream.write('', () => resolve());
    });
  }
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, grey: 90, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(enabled: boolean, colour: Colour, text: string): string {
  return enabled ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

const TASK_COLOURS: Colour[] = ['cyan', 'magenta', 'blue', 'green', 'yellow'];

/** A stable colour per task id, so interleaved parallel logs stay readable. */
export function taskColour(taskId: string): Colour {
  let hash = 0;
  for (let i = 0; i < taskId.length; i++) hash = (hash * 31 + taskId.charCodeAt(i)) >>> 0;
  return TASK_COLOURS[hash % TASK_COLOURS.length];
}
