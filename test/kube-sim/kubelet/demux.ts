/** Docker's multiplexed attach/log stream: 8-byte headers [stream, 0, 0, 0, size32be] then payload. */

export interface Frame {
  /** 0 stdin, 1 stdout, 2 stderr */
  stream: number;
  payload: Buffer;
}

/** Incremental parser: feed chunks as they arrive, get whole frames back in order. */
export class FrameParser {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      frames.push({ stream: this.pending[0], payload: this.pending.subarray(8, 8 + size) });
      this.pending = this.pending.subarray(8 + size);
    }
    return frames;
  }

  /** Bytes of an incomplete frame left when the stream ended. */
  get leftover(): number {
    return this.pending.length;
  }
}

/** Splits a payload into complete lines, keeping a partial last line for the next call. */
export class LineBuffer {
  private partial = '';

  push(text: string): string[] {
    const combined = this.partial + text;
    const lines = combined.split('\n');
    this.partial = lines.pop() ?? '';
    return lines;
  }

  flush(): string | undefined {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? undefined : rest;
  }
}
