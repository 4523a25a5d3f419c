/**
 * Tar streams between a host directory and a remote file system (a Docker volume, a pod's
 * emptyDir). Both directions stream one entry at a time, so memory stays bounded whatever the
 * file sizes, and both refuse anything that could reach outside the directory they serve.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, opendir, readlink, unlink } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tarStream from 'tar-stream';
import { RunnerError } from '../../shared/errors.ts';
import { transferMeter } from './transfer-memory.ts';
import { linkStaysInside, safeRelativeName, type SkippedOutput } from './unsafe-output.ts';

export interface PackOptions {
  /** Called for every entry below `dir`; returning false leaves it (and, for a directory, its content) out. */
  filter?: (relativePath: string, isDirectory: boolean) => boolean;
  /** Prepended to every entry name, e.g. `workdir/`. */
  prefix?: string;
}

export interface ExtractOptions {
  /** Entries must start with this prefix, which is removed; others are ignored. */
  stripPrefix?: string;
  /** Called with the relative path and tar type of every entry; false skips it (links included, unchecked). */
  filter?: (relativePath: string, type: string) => boolean;
  /** Told of every entry the filter wanted but that is unsafe and left out (see unsafe-output.ts); names are relative to dest. */
  onSkip?: (skipped: SkippedOutput) => void;
}

/** Small read chunks: less memory held between the collections transfer-memory.ts asks for, at the same speed. */
const READ_CHUNK_BYTES = 16 * 1024;

/** Streams a tar of `dir` (relative paths, regular files and directories; symlinks inside pointing outside are rejected). Bounded memory. */
export function packDirectory(dir: string, options: PackOptions = {}): Readable {
  const pack = tarStream.pack();
  const root = resolve(dir);
  const prefix = options.prefix ?? '';
  packTree(pack, root, '', prefix, options.filter).then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return Readable.from(pack, { objectMode: false });
}

async function packTree(
  pack: tarStream.Pack,
  root: string,
  relativeDir: string,
  prefix: string,
  filter: PackOptions['filter'],
): Promise<void> {
  const names: string[] = [];
  for await (const dirent of await opendir(join(root, relativeDir))) names.push(dirent.name);
  names.sort();
  for (const name of names) {
    const relativePath = relativeDir ? `${relativeDir}/${name}` : name;
    const absolutePath = join(root, relativePath);
    const stats = await lstat(absolutePath);
    const header = { name: prefix + relativePath, mode: stats.mode & 0o7777, mtime: stats.mtime, uid: stats.uid, gid: stats.gid };
    if (stats.isDirectory()) {
      if (filter && !filter(relativePath, true)) continue;
      await addEntry(pack, { ...header, type: 'directory' });
      await packTree(pack, root, relativePath, prefix, filter);
    } else if (stats.isFile()) {
      if (filter && !filter(relativePath, false)) continue;
      const entry = pack.entry({ ...header, type: 'file', size: stats.size });
      await pipeline(createReadStream(absolutePath, { highWaterMark: READ_CHUNK_BYTES }), transferMeter(), entry as unknown as Writable);
    } else if (stats.isSymbolicLink()) {
      if (filter && !filter(relativePath, false)) continue;
      const target = await readlink(absolutePath);
      if (!linkStaysInside(root, join(root, relativeDir), target)) {
        throw new RunnerError(
          `working directory: symlink ${relativePath} points outside it (to ${target})`,
          { code: 'PATH_UNSAFE', hint: 'replace the symlink with a copy of the file or point it inside the working directory' },
        );
      }
      await addEntry(pack, { ...header, type: 'symlink', linkname: target });
    }
    // Sockets, FIFOs and devices have no meaning on the other side: they are left out.
  }
}

function addEntry(pack: tarStream.Pack, header: Parameters<tarStream.Pack['entry']>[0]): Promise<void> {
  return new Promise((resolveEntry, reject) => {
    pack.entry(header, (error?: Error | null) => (error ? reject(error) : resolveEntry()));
  });
}

/**
 * Extracts a tar stream into `dest` safely. Only files and directories are created; an entry whose
 * name leaves dest (`..`, absolute), a symlink pointing outside, or a hard link to a file not
 * extracted before is left out and reported to `onSkip`; symlinks inside are left out silently
 * (they are never outputs); a hard link to an extracted file becomes a copy of it. Returns the
 * relative paths of the files written. Streams, bounded memory.
 */
export async function extractTarSafely(tar: Readable, dest: string, options: ExtractOptions = {}): Promise<string[]> {
  const root = resolve(dest);
  const extract = tarStream.extract();
  const state: ExtractState = { root, options, safeDirs: new Set(['']), written: [], writtenSet: new Set() };
  await mkdir(root, { recursive: true });
  const source = pipeline(tar, extract as unknown as Writable);
  try {
    for await (const entry of extract) {
      const type = entry.header.type ?? 'file';
      const name = withoutPrefix(entry.header.name, options.stripPrefix);
      const relativePath = name === undefined ? '' : safeRelativeName(name);
      // Outside the prefix, or the destination itself: nothing to write.
      const skipped = relativePath === '' || (options.filter !== undefined && !options.filter(relativePath ?? name!, type));
      if (!skipped && relativePath === undefined) options.onSkip?.({ name: name!.replace(/^(\.\/)+/, ''), reason: { kind: 'name-leaves' } });
      if (skipped || relativePath === undefined) await drain(entry);
      else await writeEntry(state, relativePath, entry);
    }
    await source;
  } catch (error) {
    tar.destroy();
    await source.catch(() => undefined);
    throw error;
  }
  return state.written;
}

type TarEntry = tarStream.Extract extends AsyncIterable<infer E> ? E : never;

interface ExtractState {
  root: string;
  options: ExtractOptions;
  safeDirs: Set<string>;
  written: string[];
  writtenSet: Set<string>;
}

async function writeEntry(state: ExtractState, relativePath: string, entry: TarEntry): Promise<void> {
  const { header } = entry;
  const { root } = state;
  const parent = posix.dirname(relativePath) === '.' ? '' : posix.dirname(relativePath);
  switch (header.type) {
    case 'directory':
      await ensureDirectory(root, relativePath, state.safeDirs);
      await drain(entry);
      return;
    case 'file':
    case 'contiguous-file': {
      await ensureDirectory(root, parent, state.safeDirs);
      const target = join(root, relativePath);
      await replaceNonDirectory(target, relativePath);
      await pipeline(entry as unknown as Readable, transferMeter(), createWriteStream(target, { mode: (header.mode ?? 0o644) & 0o777 }));
      recordWritten(state, relativePath);
      return;
    }
    case 'symlink': {
      const linkname = header.linkname ?? '';
      if (!linkStaysInside(root, join(root, parent), linkname)) {
        state.options.onSkip?.({ name: relativePath, reason: { kind: 'symlink-outside', target: linkname } });
      }
      await drain(entry);
      return;
    }
    case 'link': {
      // A hard link names an earlier entry of the same archive; it becomes a copy of that file.
      const linkname = header.linkname ?? '';
      const named = withoutPrefix(linkname, state.options.stripPrefix);
      const target = named === undefined ? undefined : safeRelativeName(named);
      await drain(entry);
      if (target === undefined || !state.writtenSet.has(target)) {
        state.options.onSkip?.({ name: relativePath, reason: { kind: 'hardlink-uncollected', target: linkname } });
        return;
      }
      await ensureDirectory(root, parent, state.safeDirs);
      await replaceNonDirectory(join(root, relativePath), relativePath);
      await copyFile(join(root, target), join(root, relativePath));
      recordWritten(state, relativePath);
      return;
    }
    default:
      await drain(entry);
  }
}

function recordWritten(state: ExtractState, relativePath: string): void {
  if (!state.writtenSet.has(relativePath)) state.written.push(relativePath);
  state.writtenSet.add(relativePath);
}

/** The entry name with `stripPrefix` removed, or undefined when the entry lies outside the prefix (ignored). */
function withoutPrefix(name: string, stripPrefix: string | undefined): string | undefined {
  if (stripPrefix === undefined) return name;
  const path = name.replace(/\\/g, '/');
  const bare = stripPrefix.replace(/\/+$/, '');
  if (path === bare || path === `${bare}/`) return '';
  if (!path.startsWith(`${bare}/`)) return undefined;
  return name.slice(bare.length + 1);
}

/** Creates every missing directory of `relativeDir`, refusing to pass through a symlink or a file. */
async function ensureDirectory(root: string, relativeDir: string, safeDirs: Set<string>): Promise<void> {
  if (safeDirs.has(relativeDir)) return;
  let current = '';
  for (const part of relativeDir.split('/')) {
    current = current ? `${current}/${part}` : part;
    if (safeDirs.has(current)) continue;
    const absolute = join(root, current);
    const stats = await lstat(absolute).catch(() => undefined);
    if (!stats) await mkdir(absolute);
    else if (!stats.isDirectory()) {
      throw new RunnerError(`archive entry ${current}: a ${stats.isSymbolicLink() ? 'symlink' : 'file'} is in the way of a directory`, { code: 'ARCHIVE_UNSAFE' });
    }
    safeDirs.add(current);
  }
}

/** A file arriving where a file or symlink already is replaces it; writing through a symlink never happens. */
async function replaceNonDirectory(target: string, relativePath: string): Promise<void> {
  const stats = await lstat(target).catch(() => undefined);
  if (!stats) return;
  if (stats.isDirectory()) throw new RunnerError(`archive entry ${relativePath}: a directory is in the way of a file`, { code: 'ARCHIVE_UNSAFE' });
  await unlink(target);
}

function drain(entry: TarEntry): Promise<void> {
  return new Promise((resolveDrain, reject) => {
    entry.on('end', () => resolveDrain());
    entry.on('error', reject);
    entry.resume();
  });
}
