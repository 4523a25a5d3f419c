/**
 * What a failed SQLite or file-system call means for the user: a full disk, a damaged store, a
 * folder that cannot be written, a store locked by another process. Each becomes one StoreError
 * with a stable code, the path, and what to do; anything else keeps SQLite's own words.
 */
import { statfsSync } from 'node:fs';
import { StoreError } from '../../shared/errors.ts';
import { diskFullError } from '../failures.ts';

/** SQLite's primary result codes that Harrier tells apart (https://sqlite.org/rescode.html). */
const SQLITE = { PERM: 3, BUSY: 5, LOCKED: 6, READONLY: 8, IOERR: 10, CORRUPT: 11, FULL: 13, CANTOPEN: 14, NOTADB: 26 } as const;

interface SqliteError {
  code: 'ERR_SQLITE_ERROR';
  errcode: number;
  errstr: string;
  message: string;
}

export function isSqliteError(error: unknown): error is SqliteError {
  return (error as { code?: unknown } | null)?.code === 'ERR_SQLITE_ERROR' && typeof (error as { errcode?: unknown }).errcode === 'number';
}

/** The SQLite primary code of an error (extended codes carry it in their low byte), if it is one. */
export function sqliteCode(error: unknown): number | undefined {
  return isSqliteError(error) ? error.errcode & 0xff : undefined;
}

export function isDamage(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === SQLITE.CORRUPT || code === SQLITE.NOTADB;
}

/** SQLite says "disk I/O error" for a write that found no space on some file systems: ask the file system. */
function noSpaceLeft(dir: string): boolean {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

export const MOVE_ASIDE = (dbPath: string) =>
  `restore it from a backup, or move it aside with \`mv ${dbPath} ${dbPath}.damaged\` and harrier starts a new, empty store`;

export function damagedError(dbPath: string, detail: string, cause?: unknown): StoreError {
  return new StoreError(`the state store ${dbPath} is damaged (${detail})`, { code: 'STORE_DAMAGED', cause, hint: MOVE_ASIDE(dbPath) });
}

/** A StoreError for a failed store call; errors that are already StoreErrors, or not SQLite's, pass unchanged. */
export function storeFailure(error: unknown, paths: { stateDir: string; dbPath: string }): unknown {
  if (error instanceof StoreError) return error;
  if ((error as NodeJS.ErrnoException | null)?.code === 'ENOSPC') return diskFullError(paths.stateDir, error);
  const code = sqliteCode(error);
  if (code === undefined) return error;
  const detail = (error as SqliteError).errstr || (error as SqliteError).message;
  switch (code) {
    case SQLITE.FULL:
      return diskFullError(paths.stateDir, error);
    case SQLITE.IOERR:
      if (noSpaceLeft(paths.stateDir)) return diskFullError(paths.stateDir, error);
      return new StoreError(`the state store ${paths.dbPath} cannot be read or written (${detail})`, {
        code: 'STORE_FAILED', cause: error, hint: 'check the disk and the file system under the state directory',
      });
    case SQLITE.CORRUPT:
    case SQLITE.NOTADB:
      return damagedError(paths.dbPath, detail, error);
    case SQLITE.READONLY:
    case SQLITE.PERM:
    case SQLITE.CANTOPEN:
      return new StoreError(`cannot write the state store ${paths.dbPath} (${detail})`, {
        code: 'STORE_UNWRITABLE', cause: error, hint: 'check that the file and its directory are writable, or choose another --state-dir',
      });
    case SQLITE.BUSY:
    case SQLITE.LOCKED:
      return new StoreError(`the state store ${paths.dbPath} is locked by another process`, {
        code: 'STORE_LOCKED', cause: error, hint: 'wait for the other harrier to finish, or choose another --state-dir',
      });
    default:
      return new StoreError(`the state store ${paths.dbPath} failed: ${detail}`, { code: 'STORE_FAILED', cause: error });
  }
}
