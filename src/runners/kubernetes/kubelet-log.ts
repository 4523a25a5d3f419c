/**
 * The kubelet's container log read with `timestamps=true`, back into the lines the task printed,
 * each with its stamp.
 *
 * The container runtime stores a long line as several records (Docker's json-file driver, read by
 * the kubelet through cri-dockerd, and containerd's CRI log both cut at 16 KiB; only a line's last
 * record ends with its newline). Since Kubernetes 1.27 the kubelet's log reader
 * (k8s.io/cri-client/pkg/logs, before 1.35 pkg/kubelet/kuberuntime/logs) writes the stamp only
 * before a record that starts a line, so a line arrives as `<RFC3339NanoFixed> <text>\n` however
 * many records it took: its text is passed on byte for byte, never searched for stamps (a task may
 * print stamp-like text anywhere). Two consequences of that reader are handled here:
 * - a line with no stamp: with `sinceTime`, records older than it are skipped, and a line whose
 *   first record was skipped arrives without its stamp. Such a line is reported unstamped.
 * - a line longer than `maxLineBytes` is cut by the LineSplitter; every piece keeps the stamp.
 */
import { LineSplitter, type LineSplitterOptions } from '../line-splitter.ts';
import { epochSecondOf } from '../log-replay.ts';

/** How far into a line its stamp may end: the fixed format with an offset takes 36 bytes. */
const LEADING_STAMP_MAX = 40;

const SPACE = 0x20;
const NEWLINE = 0x0a;

export interface KubeletLogOptions extends LineSplitterOptions {
  /** A line of the task; `timestamp` is undefined when the kubelet did not stamp it; `cutStarts` as in LineSink. */
  onLine(line: string, timestamp: string | undefined, cutStarts: boolean): void;
}

export class KubeletLogParser {
  private readonly onLine: KubeletLogOptions['onLine'];
  private readonly splitter: LineSplitter;
  /** The start of a line whose stamp is still arriving. */
  private held: Buffer = Buffer.alloc(0);
  private atLineStart = true;
  private stamp: string | undefined;

  constructor(options: KubeletLogOptions) {
    this.onLine = options.onLine;
    this.splitter = new LineSplitter({ maxLineBytes: options.maxLineBytes });
  }

  push(chunk: Buffer): void {
    this.consume(this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk, false);
  }

  /** The stream ended: what is left is the last line. */
  end(): void {
    this.consume(this.held, true);
    this.splitter.end((line, cutStarts) => this.onLine(line, this.stamp, cutStarts));
  }

  private consume(bytes: Buffer, ending: boolean): void {
    this.held = Buffer.alloc(0);
    let position = 0;
    while (position < bytes.length) {
      if (this.atLineStart) {
        const window = bytes.subarray(position, position + LEADING_STAMP_MAX);
        const space = window.indexOf(SPACE);
        if (space === -1 && window.length < LEADING_STAMP_MAX && window.indexOf(NEWLINE) === -1 && !ending) {
          this.held = Buffer.from(window);
          return;
        }
        // A newline before the space makes the text no stamp: the line is reported unstamped.
        const text = space === -1 ? '' : window.toString('latin1', 0, space);
        this.stamp = epochSecondOf(text) === undefined ? undefined : text;
        if (this.stamp !== undefined) position += space + 1;
        this.atLineStart = false;
      }
      const newline = bytes.indexOf(NEWLINE, position);
      const end = newline === -1 ? bytes.length : newline + 1;
      this.splitter.push(bytes.subarray(position, end), (line, cutStarts) => this.onLine(line, this.stamp, cutStarts));
      if (newline !== -1) this.atLineStart = true;
      position = end;
    }
  }
}
