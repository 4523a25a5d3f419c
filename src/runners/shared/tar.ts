/**
 * Tar streams between a host directory and a remote file system (a Docker volume, a pod's
 * emptyDir). Both directions stream one entry at a time, so memory stays bounded whatever the
 * file sizes, and both refuse anything that could reach outside the directory they serve.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, opendir, readlink, unlink } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, resolve } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tarStream from 'tar-stream';
import { RunnerError } from '../../shared/errors.ts';
import { transferMeter } from './transfer-memory.ts';

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
      if (!staysInside(root, join(root, relativeDir), target)) {
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

/** True when `target`, read relative to `fromDir`, names a path inside `root` (root itself included). */
function staysInside(root: string, fromDir: string, target: string): boolean {
  if (isAbsolute(target)) return false;
  const resolved = resolve(fromDir, target);
  const rel = relative(root, resolved);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Extracts a tar stream into `dest` safely: no entry may leave dest (.., absolute paths), symlinks are skipped (or rejected if they escape), a hard link to a file extracted earlier becomes a copy of it, only files and dirs are created. Returns the relative paths of files written. Streams, bounded memory. */
export async function extractTarSafely(tar: Readable, dest: string, options: ExtractOptions = {}): Promise<string[]> {
  const root = resolve(dest);
  const extract = tarStream.extract();
  const state: ExtractState = { root, stripPrefix: options.stripPrefix, safeDirs: new Set(['']), written: [], writtenSet: new Set() };
  await mkdir(root, { recursive: true });
  const source = pipeline(tar, extract as unknown as Writable);
  try {
    for await (const entry of extract) {
      const relativePath = entryPath(entry.header.name, options.stripPrefix);
      const accepted = relativePath !== undefined && relativePath !== '' && (!options.filter || options.filter(relativePath, entry.header.type ?? 'file'));
      if (!accepted) {
        await drain(entry);
        continue;
      }
      await writeEntry(state, relativePath, entry);
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
  stripPrefix?: string;
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
      if (!staysInside(root, join(root, parent), linkname)) {
        throw new RunnerError(`archive entry ${relativePath}: link points outside the destination (to ${linkname})`, { code: 'ARCHIVE_UNSAFE' });
      }
      await drain(entry);
      return;
    }
    case 'link': {
      // A hard link names an earlier entry of the same archive; it becomes a copy of that file.
      const target = entryPath(header.linkname ?? '', state.stripPrefix);
      await drain(entry);
      if (target === undefined || !state.writtenSet.has(target)) return;
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

/**
 * The safe relative path of an entry, or undefined when it must be ignored (outside the prefix).
 * Throws when the name tries to leave the destination.
 */
function entryPath(name: string, stripPrefix: string | undefined): string | undefined {
  let path = name.replace(/\\/g, '/');
  if (stripPrefix !== undefined) {
    const bare = stripPrefix.replace(/\/+$/, '');
    if (path === bare || path === `${bare}/`) return '';
    if (!path.startsWith(`${bare}/`)) return undefined;
    path = path.slice(bare.length + 1);
  }
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) {
    throw new RunnerError(`archive entry ${name}: absolute paths are not allowed`, { code: 'ARCHIVE_UNSAFE' });
  }
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new RunnerError(`archive entry ${name}: paths with .. are not allowed`, { code: 'ARCHIVE_UNSAFE' });
  return parts.join('/');
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
