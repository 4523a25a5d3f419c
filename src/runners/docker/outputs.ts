/**
 * Bringing output files back from the container's working directory (VOLUME strategy): one tar
 * stream per folder that can hold outputs, filtered while it streams, so inputs that did not change
 * are not copied back when the patterns allow it.
 */
import { readdir, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import picomatch from 'picomatch';
import { createOutputMatcher } from '../shared/output-match.ts';
import { extractTarSafely } from '../shared/tar.ts';
import type { SkippedOutput } from '../shared/unsafe-output.ts';
import { statusOf } from './docker-client.ts';
import type { EngineContainer } from './engine-api.ts';

/**
 * The smallest set of paths (relative to the working directory, '' for all of it) whose content
 * covers the output folder and every pattern: a folder for a glob, the file itself for a literal
 * name, so a large input next to the outputs is not read back.
 */
export function outputRoots(globs: readonly string[], outputDirName: string): string[] {
  const candidates = [clean(outputDirName), ...globs.map(patternRoot)];
  if (candidates.includes('')) return [''];
  const sorted = [...new Set(candidates)].sort((a, b) => a.length - b.length);
  const roots: string[] = [];
  for (const candidate of sorted) {
    if (!roots.some((root) => candidate === root || candidate.startsWith(`${root}/`))) roots.push(candidate);
  }
  return roots;
}

function patternRoot(pattern: string): string {
  if (pattern.startsWith('regex:')) return '';
  const glob = clean(pattern.startsWith('glob:') ? pattern.slice('glob:'.length) : pattern);
  const scan = picomatch.scan(glob);
  return scan.isGlob ? clean(scan.base) : glob;
}

function clean(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/**
 * True when the task provably left the output folder as it was uploaded: empty, with the
 * modification time the upload gave it (whole seconds; any entry created or removed in it since
 * would have set the time of that moment, with its nanoseconds). Lets a task without outputs skip
 * a download, which costs the daemon a process start. Any doubt answers false.
 */
export async function outputFolderUntouched(container: EngineContainer, containerWorkingDir: string, hostWorkingDir: string, outputDirName: string): Promise<boolean> {
  const hostFolder = join(hostWorkingDir, outputDirName);
  const local = await stat(hostFolder).catch(() => undefined);
  if (!local?.isDirectory() || (await readdir(hostFolder)).length > 0) return false;
  let response: IncomingMessage;
  try {
    response = await container.infoArchive({ path: `${containerWorkingDir}/${clean(outputDirName)}` });
  } catch {
    return false;
  }
  response.resume();
  const header = response.headers['x-docker-container-path-stat'];
  if (typeof header !== 'string') return false;
  try {
    const remote = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { mtime?: string };
    const uploaded = Math.floor(local.mtimeMs / 1000) * 1000;
    return typeof remote.mtime === 'string' && /T\d\d:\d\d:\d\d(?:\.0+)?Z$/.test(remote.mtime) && Date.parse(remote.mtime) === uploaded;
  } catch {
    return false;
  }
}

/**
 * Copies every output from the container into the host working directory; returns their relative
 * paths. Unsafe entries (unsafe-output.ts) are left out and reported to `onSkip`.
 */
export async function collectOutputs(
  container: EngineContainer,
  containerWorkingDir: string,
  hostWorkingDir: string,
  globs: readonly string[],
  outputDirName: string,
  onSkip: (skipped: SkippedOutput) => void,
): Promise<string[]> {
  const matches = createOutputMatcher(globs, outputDirName);
  const collected: string[] = [];
  for (const root of outputRoots(globs, outputDirName)) {
    let archive: Readable;
    try {
      archive = await container.getArchive({ path: root ? `${containerWorkingDir}/${root}` : containerWorkingDir });
    } catch (error) {
      // The task created no such file or folder: nothing to collect there.
      if (statusOf(error) === 404) continue;
      throw error;
    }
    // The archive of a path holds entries named from that path's last part: they land in its parent.
    const parent = root ? posix.dirname(root).replace(/^\.$/, '') : '';
    const inWorkingDir = (relative: string): string => (parent ? `${parent}/${relative}` : relative);
    const written = await extractTarSafely(archive, parent ? join(hostWorkingDir, parent) : hostWorkingDir, {
      ...(root ? {} : { stripPrefix: posix.basename(containerWorkingDir) }),
      filter: (relative) => matches(inWorkingDir(relative)) || isAncestorOfOutputFolder(inWorkingDir(relative), outputDirName),
      onSkip: (skipped) => onSkip({ ...skipped, name: inWorkingDir(skipped.name) }),
    });
    for (const relative of written) if (matches(inWorkingDir(relative))) collected.push(inWorkingDir(relative));
  }
  return collected.sort();
}

/** Directories on the way to the output folder must pass the filter so its content is reached. */
function isAncestorOfOutputFolder(relativePath: string, outputDirName: string): boolean {
  const outputDir = clean(outputDirName);
  return outputDir === relativePath || outputDir.startsWith(`${relativePath}/`);
}
