/**
 * Keeps memory bounded while files stream to and from containers and pods. Every chunk of a tar
 * stream is a short-lived Buffer whose memory V8 returns only at a garbage collection, and V8
 * starts one only after external memory grew by about 64 MB: a 1 GiB transfer held 75-85 MB of
 * dead chunks. When harrier runs with `--expose-gc` (bin/harrier.js does), a young-generation
 * collection every few megabytes frees them; each takes about a millisecond. Without the flag
 * (a library import, the tests) this does nothing.
 */
import { Transform } from 'node:stream';

const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

type Collector = (options: { type: 'minor' | 'major' }) => void;
const collect = (globalThis as { gc?: Collector }).gc;
let bytesSinceCollection = 0;

/** Counts bytes that went through a transfer, collecting the dead chunks every few megabytes. */
export function noteTransferred(bytes: number): void {
  if (!collect) return;
  bytesSinceCollection += bytes;
  if (bytesSinceCollection < COLLECT_EVERY_BYTES) return;
  bytesSinceCollection = 0;
  collect({ type: 'minor' });
}

/** A pass-through stage for a file's bytes in a pipeline, counting them with noteTransferred. */
export function transferMeter(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      noteTransferred(chunk.length);
      callback(null, chunk);
    },
  });
}
