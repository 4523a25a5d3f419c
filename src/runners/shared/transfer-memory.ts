/**
 * Keeps memory bounded while files stream to and from containers and pods. Every chunk of a tar
 * stream is a short-lived Buffer whose memory V8 returns only at a garbage collection, and V8
 * starts one only after external memory grew by about 64 MB: a 1 GiB transfer held 75-85 MB of
 * dead chunks. A young-generation collection every few megabytes frees them; each takes about a
 * millisecond. The `gc` function is turned on at the first transfer rather than with --expose-gc on
 * the command line, because that flag keeps Node from starting from its snapshot (+40 ms start-up).
 */
import { Transform } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

type Collector = (options: { type: 'minor' | 'major' }) => void;
let collect: Collector | undefined;
let bytesSinceCollection = 0;

function collector(): Collector {
  if (!collect) {
    const exposed = (globalThis as { gc?: Collector }).gc;
    if (exposed) collect = exposed;
    else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as Collector;
    }
  }
  return collect;
}

/** Counts bytes that went through a transfer, collecting the dead chunks every few megabytes. */
export function noteTransferred(bytes: number): void {
  bytesSinceCollection += bytes;
  if (bytesSinceCollection < COLLECT_EVERY_BYTES) return;
  bytesSinceCollection = 0;
  collector()({ type: 'minor' });
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
