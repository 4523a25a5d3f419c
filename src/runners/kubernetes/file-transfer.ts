/**
 * Files in and out of a pod as ONE tar stream per direction over `pods/exec`:
 * - upload: the host working directory, packed while it streams, into `tar xf -` in the init
 *   container, which then creates the ready marker (one exec);
 * - download: the pod selects the candidate files with `find` (a superset of the output globs),
 *   streams them with `tar cf -`, then creates the ended marker so the sidecar exits 0 (one exec);
 *   the host keeps only real matches and extracts them safely.
 */
import { PassThrough, pipeline, Transform, type TransformCallback } from 'node:stream';
import { RunnerError } from '../../shared/errors.ts';
import { ByteCounter, countingStream, type BytesListener } from '../shared/byte-count.ts';
import { createOutputMatcher } from '../shared/output-match.ts';
import { extractTarSafely, packDirectory } from '../shared/tar.ts';
import type { SkippedOutput } from '../shared/unsafe-output.ts';
import { execInPod } from './exec.ts';
import type { KubeClient } from './client.ts';
import { CONTAINER_WORKING_DIR, ENDED_MARKER, INIT_CONTAINER, OUTPUT_LIST, READY_MARKER, SIDECAR_CONTAINER } from './layout.ts';
import { shellQuote } from './pod-spec.ts';

export interface PodRef {
  client: KubeClient;
  namespace: string;
  pod: string;
  signal?: AbortSignal;
}

export const UPLOAD_SCRIPT = `tar xf - -C ${CONTAINER_WORKING_DIR} && touch ${READY_MARKER}`;

export async function uploadWorkingDir(ref: PodRef, hostWorkingDir: string, onBytes: BytesListener = () => undefined): Promise<void> {
  // pipeline() destroys the counter with the packer's error, which the exec then reports.
  const stdin = pipeline(packDirectory(hostWorkingDir), countingStream(onBytes), () => undefined);
  const result = await execInPod({
    ...ref,
    container: INIT_CONTAINER,
    command: ['sh', '-c', UPLOAD_SCRIPT],
    stdin,
    stdout: new PassThrough().resume(),
  });
  if (result.exitCode !== 0) {
    throw new RunnerError(
      `uploading the input files into pod ${ref.pod} failed (${result.exitCode === undefined ? 'no exit status' : `exit code ${result.exitCode}`}): ${result.stderr || 'no message'}`,
      { hint: 'the file sidecar image needs sh and tar; check fileSidecar.image and the emptyDir size limit' },
    );
  }
}

/**
 * `find -path` patterns selecting a superset of what the globs match (find's `*` crosses `/`),
 * or undefined when a pattern cannot be translated (regex, braces, negation): then the whole
 * working directory is sent and the host filters.
 */
export function podSelection(globs: readonly string[], outputDirName: string): string[] | undefined {
  const patterns = [`./${outputDirName}/*`];
  for (const raw of globs) {
    if (raw.startsWith('regex:')) return undefined;
    const glob = (raw.startsWith('glob:') ? raw.slice('glob:'.length) : raw).replace(/^(\.\/)+/, '');
    if (/[{}!()+@\\]/.test(glob) || glob === '') return undefined;
    patterns.push(`./${glob.replace(/\*+/g, '*')}`);
  }
  return patterns;
}

/** The shell script of the download exec. */
export function downloadScript(selection: string[] | undefined): string {
  // An empty selection still yields a valid (empty) archive: two zero blocks.
  // busybox tar often lacks -T: the list becomes the arguments, split on newlines only, no globbing.
  const tar = selection
    ? `find . ! -type d \\( ${selection.map((pattern) => `-path ${shellQuote(pattern)}`).join(' -o ')} \\) > ${OUTPUT_LIST}`
      + ` && if [ -s ${OUTPUT_LIST} ]; then set -f; IFS='\n'; tar cf - $(cat ${OUTPUT_LIST}); else head -c 1024 /dev/zero; fi`
    : 'tar cf - .';
  // The sidecar is not let go here, only once the archive is safe on the host (see pod-session.ts):
  // a harrier killed mid-download must find the outputs still there when it resumes.
  return `cd ${CONTAINER_WORKING_DIR} && ${tar}`;
}

/**
 * Streams the outputs of the pod into `hostWorkingDir`; returns the relative paths written. Unsafe
 * entries (unsafe-output.ts) are left out and reported to `onSkip`, the others still kept.
 */
export async function downloadOutputs(
  ref: PodRef,
  hostWorkingDir: string,
  globs: readonly string[],
  outputDirName: string,
  onSkip: (skipped: SkippedOutput) => void,
  onBytes: BytesListener = () => undefined,
): Promise<string[]> {
  const matcher = createOutputMatcher(globs, outputDirName);
  const tar = new ArchiveEnd(new ByteCounter(onBytes));
  const extraction = extractTarSafely(tar, hostWorkingDir, { filter: (path) => matcher(path), onSkip });
  // Whatever happens to the exec, the extraction must settle; its error is reported below.
  extraction.catch(() => undefined);
  let result;
  try {
    result = await execInPod({ ...ref, container: SIDECAR_CONTAINER, command: ['sh', '-c', downloadScript(podSelection(globs, outputDirName))], stdout: tar });
  } catch (error) {
    tar.destroy();
    throw error;
  }
  let written: string[];
  try {
    written = await extraction;
  } catch (error) {
    throw new RunnerError(`collecting the output files of pod ${ref.pod} failed: ${(error as Error).message}`, { cause: error });
  }
  // A lost Status frame after a complete archive is not a failure: the files are all here.
  if (result.exitCode === undefined && !tar.complete()) {
    throw new RunnerError(`collecting the output files of pod ${ref.pod} failed: the exec ended before the archive did${result.stderr ? ` (${result.stderr})` : ''}`);
  }
  if (result.exitCode !== undefined && result.exitCode !== 0) {
    throw new RunnerError(`collecting the output files of pod ${ref.pod} failed (exit code ${result.exitCode}): ${result.stderr || 'no message'}`);
  }
  return written;
}

/** Lets the sidecar exit, for a pod that is kept (delete: false) to complete. */
export async function releaseSidecar(ref: PodRef): Promise<void> {
  await execInPod({ ...ref, container: SIDECAR_CONTAINER, command: ['touch', ENDED_MARKER] });
}

/** Passes a tar stream through, watching its last bytes: an archive is complete when it ends with two zero blocks. */
class ArchiveEnd extends Transform {
  private tail = Buffer.alloc(0);
  private readonly counter: ByteCounter;

  constructor(counter: ByteCounter) {
    super({ highWaterMark: 1024 * 1024 });
    this.counter = counter;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.tail = Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - 1024))]).subarray(-1024);
    this.counter.add(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.counter.end();
    callback();
  }

  complete(): boolean {
    return this.tail.length === 1024 && this.tail.every((byte) => byte === 0);
  }
}
