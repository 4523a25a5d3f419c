/**
 * Kestra's read(): the text of a file of this execution in internal storage (`kestra://...`), or
 * of a file of the flow's namespace (a relative path). Synchronous, as expressions render
 * synchronously; never follows a path or symlink out of its folder.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { HarrierError } from '../shared/errors.ts';
import { STORAGE_SCHEME, type InternalStorage } from '../store/internal-storage.ts';

/** Larger files are refused: read() puts the whole text into a rendered value. */
export const READ_LIMIT_BYTES = 16 * 1024 * 1024;

export interface ReadScope {
  storage: InternalStorage;
  /** The execution's folders in storage, relative to its root (InternalStorage.readablePrefixes: its own first). */
  executionPrefixes: readonly string[];
  namespaceDir: string;
}

export function readForExpression(path: string, scope: ReadScope): string {
  if (path.startsWith(STORAGE_SCHEME)) {
    const key = path.slice(STORAGE_SCHEME.length).replace(/^\/+/, '');
    const target = join(scope.storage.root, key);
    const folders = scope.executionPrefixes.map((prefix) => join(scope.storage.root, prefix));
    // The folder the path names as written; readInside checks where it really leads.
    const folder = folders.find((candidate) => isInside(candidate, target)) ?? folders[0];
    const what = folders.length > 1 ? 'internal storage files of this execution and of those it replays' : 'internal storage files of this execution';
    return readInside(target, folder, path, what);
  }
  if (isAbsolute(path)) throw refused(path, 'a namespace file path is relative to the namespace folder');
  return readInside(join(scope.namespaceDir, path), scope.namespaceDir, path, `the namespace files (${scope.namespaceDir})`);
}

function readInside(path: string, folder: string, asWritten: string, what: string): string {
  let real: string;
  let realFolder: string;
  try {
    real = realpathSync(path);
    realFolder = realpathSync(folder);
  } catch {
    throw new HarrierError(`read('${asWritten}'): no such file`, { code: 'STORAGE_FILE_NOT_FOUND', hint: `read() reads ${what}` });
  }
  if (!isInside(realFolder, real)) throw refused(asWritten, `read() reads only ${what}`);
  const info = statSync(real);
  if (!info.isFile()) throw new HarrierError(`read('${asWritten}'): not a file`, { code: 'STORAGE_FILE_NOT_FOUND' });
  if (info.size > READ_LIMIT_BYTES) {
    throw new HarrierError(`read('${asWritten}'): the file has ${info.size} bytes, more than read() takes (${READ_LIMIT_BYTES})`, {
      code: 'EXPRESSION_FAILED', hint: 'hand big files to a script task through inputFiles instead',
    });
  }
  return readFileSync(resolve(real), 'utf8');
}

function isInside(folder: string, path: string): boolean {
  const inside = relative(folder, path);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
}

function refused(path: string, why: string): HarrierError {
  return new HarrierError(`read('${path}') is refused: ${why}`, { code: 'HOST_PATH_REFUSED' });
}
