import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { SECRET_KEY_VARIABLE, secretKeyFromEnv, type GivenKey } from '../engine/encryption.ts';
import { UsageError } from '../shared/errors.ts';
import { storePath } from '../store/sqlite/open.ts';

/**
 * The state directory when nothing names one: per user, as the XDG base directories say
 * ($XDG_STATE_HOME/harrier, else ~/.local/state/harrier), so history does not depend on the
 * current directory. A relative XDG_STATE_HOME is ignored, as the specification asks.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  return xdg && isAbsolute(xdg) ? join(xdg, 'harrier') : join(env.HOME || homedir(), '.local', 'state', 'harrier');
}

/** --state-dir, else HARRIER_STATE_DIR, else the per-user default. */
export function stateDirOf(options: { stateDir?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(options.stateDir ?? (env.HARRIER_STATE_DIR || defaultStateDir(env)));
}

/** What an engine of this command keeps outside its store: the state dir, internal storage's folder, the secrets' key. */
export interface EngineFiles {
  stateDir: string;
  /** Undefined: `<state dir>/storage`. */
  storageDir?: string;
  /** Undefined: `<state dir>/namespace-files`. */
  namespaceFilesRoot?: string;
  /** Undefined: the state directory's key file. */
  secretKey?: GivenKey;
}

/**
 * The state dir, --storage-dir and --namespace-files (each resolved from flag, variable and config
 * file by the settings before the command runs) and HARRIER_SECRET_KEY; a bad key is a usage error.
 * The key is taken out of `env`: Process tasks inherit the environment, and must not read it.
 */
export function engineFilesOf(options: { stateDir?: string; storageDir?: string; namespaceFiles?: string }, env: NodeJS.ProcessEnv = process.env): EngineFiles {
  const absolute = (path: string | undefined): string | undefined => (path === undefined ? undefined : resolve(path));
  const secretKey = secretKeyFromEnv(env);
  delete env[SECRET_KEY_VARIABLE];
  return { stateDir: stateDirOf(options, env), storageDir: absolute(options.storageDir), namespaceFilesRoot: absolute(options.namespaceFiles), secretKey };
}

/** Whether a store exists there: read-only commands look before they open, so they never create one. */
export function storeExists(stateDir: string): boolean {
  return existsSync(storePath(stateDir));
}

/** `--input k=v` (repeatable) into a map; `k=@path` is kept as is for FILE inputs. */
export function parseInputOptions(values: string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals <= 0) throw new UsageError(`--input '${value}' must look like name=value (or name=@file for a FILE input)`);
    inputs[value.slice(0, equals)] = value.slice(equals + 1);
  }
  return inputs;
}
