/** Counting the bytes of a file transfer as they pass, for a live status line. */
import { Transform, type TransformCallback } from 'node:stream';

export type BytesListener = (bytes: number, done: boolean) => void;

/** Calls `listener` with the running total at most every `everyMs`, and once more at the end. */
export class ByteCounter {
  private bytes = 0;
  private lastReport = 0;
  private readonly listener: BytesListener;
  private readonly everyMs: number;

  constructor(listener: BytesListener, everyMs = 100) {
    this.listener = listener;
    this.everyMs = everyMs;
  }

  add(count: number): void {
    this.bytes += count;
    const now = Date.now();
    if (now - this.lastReport >= this.everyMs) {
      this.lastReport = now;
      this.listener(this.bytes, false);
    }
  }

  end(): void {
    this.listener(this.bytes, true);
  }
}

/** A pass-through stream that counts what flows through it. */
export function countingStream(listener: BytesListener): Transform {
  const counter = new ByteCounter(listener);
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      counter.add(chunk.length);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      counter.end();
      callback();
    },
  });
}
