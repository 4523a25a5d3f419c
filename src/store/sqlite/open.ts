/**
 * Opening the store file: a new one is created, an existing one must be a Harrier store of a
 * version this harrier reads (older ones are migrated). A file that is not one, or is damaged, is
 * refused with one line naming the path and what to do; it is never silently replaced.
 */
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { StoreError } from '../../shared/errors.ts';
import { diskFullError } from '../failures.ts';
import { damagedError, isDamage, isSqliteError, MOVE_ASIDE, storeFailure } from './failures.ts';
import { MIGRATIONS, SCHEMA_SQL, STORE_VERSION } from './schema.ts';

export const STORE_FILE = 'harrier.db';

const PRAGMAS = 'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; '
  + 'PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 8192;';
const SQLITE_HEADER = 'SQLite format 3\0';

export function storePath(stateDir: string): string {
  return join(stateDir, STORE_FILE);
}

export function openStoreDatabase(stateDir: string): DatabaseSync {
  const dbPath = storePath(stateDir);
  makeStateDir(stateDir);
  const existed = checkExistingFile(dbPath);
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(dbPath);
    db.exec('PRAGMA busy_timeout = 5000;');
    // Read before anything is written, so a database that is not Harrier's is left as it was.
    const version = existed ? storedVersion(db, dbPath) : undefined;
    db.exec(PRAGMAS);
    if (version !== undefined) migrate(db, version);
    // One transaction: a new store's tables are one commit, not one per statement.
    const opened = db;
    inTransaction(opened, () => {
      opened.exec(SCHEMA_SQL);
      if (version === undefined) opened.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('version', String(STORE_VERSION));
    });
    return opened;
  } catch (error) {
    db?.close();
    if (error instanceof StoreError) throw error;
    throw isSqliteError(error) ? diagnose(error, stateDir, dbPath) : error;
  }
}

function makeStateDir(stateDir: string): void {
  try {
    mkdirSync(stateDir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw diskFullError(stateDir, error);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new StoreError(`cannot create the state directory ${stateDir}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}`, {
        code: 'STORE_UNWRITABLE', cause: error, hint: 'check that the directory is writable, or choose another with --state-dir',
      });
    }
    throw new StoreError(`cannot create the state directory ${stateDir}: ${code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code ?? (error as Error).message}`, {
      code: 'STORE_FAILED', cause: error, hint: 'choose another --state-dir, or move the file aside',
    });
  }
}

/** Whether the store file exists; refuses one that cannot be an SQLite database at all. */
function checkExistingFile(dbPath: string): boolean {
  let size: number;
  try {
    const info = statSync(dbPath);
    if (info.isDirectory()) throw notAStore(dbPath, 'it is a directory');
    size = info.size;
  } catch (error) {
    if (error instanceof StoreError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw storeFailure(error, { stateDir: dbPath, dbPath });
  }
  // SQLite would take an empty file for a new database, and every execution would vanish unsaid.
  if (size === 0) throw notAStore(dbPath, 'it is empty (0 bytes)');
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(dbPath, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1') !== SQLITE_HEADER) throw notAStore(dbPath, 'it is not an SQLite database');
  return true;
}

function notAStore(dbPath: string, why: string): StoreError {
  return new StoreError(`${dbPath} is not a Harrier store: ${why}`, { code: 'STORE_NOT_A_STORE', hint: MOVE_ASIDE(dbPath) });
}

/**
 * The version of an existing store, or undefined for a database with no tables at all (one created
 * by a harrier stopped before it wrote anything); a database with other tables is refused.
 */
function storedVersion(db: DatabaseSync, dbPath: string): number | undefined {
  if (db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get() === undefined) return undefined;
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
  const row = hasMeta ? db.prepare("SELECT value FROM meta WHERE key = 'version'").get() as { value: string } | undefined : undefined;
  if (!row) throw notAStore(dbPath, 'it is an SQLite database without Harrier\'s tables');
  const version = Number(row.value);
  if (!Number.isInteger(version) || version > STORE_VERSION || (version < STORE_VERSION && MIGRATIONS[version] === undefined)) {
    throw new StoreError(`the state store ${dbPath} has version ${row.value}, this harrier expects ${STORE_VERSION}`, {
      code: 'STORE_VERSION', hint: 'use another --state-dir, or the harrier version that created it',
    });
  }
  return version;
}

function inTransaction(db: DatabaseSync, work: () => void): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    work();
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** Brings a store of an older version up to this one, one migration per version, each in a transaction. */
function migrate(db: DatabaseSync, from: number): void {
  if (from === STORE_VERSION) return;
  // A step may rebuild a table others refer to; SQLite's own recipe turns the checks off around it
  // (they cannot change inside a transaction), and each step keeps the ids the references use.
  db.exec('PRAGMA foreign_keys = OFF');
  try {
    migrateSteps(db, from);
  } finally {
    db.exec('PRAGMA foreign_keys = ON');
  }
}

function migrateSteps(db: DatabaseSync, from: number): void {
  let version = from;
  while (version < STORE_VERSION) {
    const step = MIGRATIONS[version];
    inTransaction(db, () => {
      if (step) db.exec(step);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'version'").run(String(version + 1));
    });
    version++;
  }
}

/**
 * Opening failed inside SQLite: an integrity check tells a damaged file from a folder that cannot
 * be written, a full disk or a lock, so the advice fits the cause.
 */
function diagnose(error: unknown, stateDir: string, dbPath: string): unknown {
  const classified = storeFailure(error, { stateDir, dbPath });
  if (classified instanceof StoreError && (classified.code === 'STORE_DISK_FULL' || classified.code === 'STORE_LOCKED')) return classified;
  const report = integrityReport(dbPath);
  return report === undefined ? classified : damagedError(dbPath, report, error);
}

/** The first problem `PRAGMA quick_check` finds, or undefined when the file is sound (or absent). */
function integrityReport(dbPath: string): string | undefined {
  let check: DatabaseSync | undefined;
  try {
    check = new DatabaseSync(dbPath, { readOnly: true });
    const rows = check.prepare('PRAGMA quick_check(1)').all() as { quick_check: string }[];
    const first = rows[0]?.quick_check;
    return first === undefined || first === 'ok' ? undefined : oneLine(first);
  } catch (error) {
    // Only damage counts here: a file that cannot be opened at all says nothing about its pages.
    return isSqliteError(error) && isDamage(error) ? oneLine(error.errstr || error.message) : undefined;
  } finally {
    check?.close();
  }
}

/** SQLite's report on one line, without its "*** in database main ***" heading. */
function oneLine(report: string): string {
  return report.split('\n').map((line) => line.trim()).filter((line) => line && !/^\*\*\*.*\*\*\*$/.test(line)).join('; ');
}
