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

export class BufferedWriter {
  private readonly stream: NodeJS.WriteStream;
  private chunks: string[] = [];
  private scheduled = false;
  readonly colour: boolean;

  constructor(stream: NodeJS.WriteStream) {
    this.stream = stream;
    this.colour = Boolean(stream.isTTY) && !process.env.NO_COLOR;
  }

  write(text: string): void {
    this.chunks.push(text);
    if (this.chunks.length >= 4096) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
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
    if (this.chunks.length === 0) return;
    const text = this.chunks.join('');
    this.chunks = [];
    if (!this.closed) this.stream.write(text);
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
