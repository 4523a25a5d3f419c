/** What `harrier server` and `harrier worker` share: whole-number settings, lease timings, the stop signal. */
import { SECRET_KEY_VARIABLE } from '../../engine/encryption.ts';
import { UsageError } from '../../shared/errors.ts';
import { isPostgresUrl } from '../../store/postgres/index.ts';
import type { EngineFiles } from '../context.ts';

/** A whole number from a flag, else its environment variable, else the default. */
export function whole(flag: string, value: string | undefined, envName: string | undefined, fallback: number, min = 0): number {
  const text = value ?? (envName ? process.env[envName] : undefined);
  if (text === undefined || text === '') return fallback;
  const number = Number(text);
  if (!Number.isInteger(number) || number < min) {
    throw new UsageError(`${flag}${value === undefined && envName ? ` (from ${envName})` : ''} must be a whole number of at least ${min}, not '${text}'`);
  }
  return number;
}

export interface LeaseFlags {
  leaseMs?: string;
  renewMs?: string;
  pollMs?: string;
  store?: string;
}

export function leaseSettings(options: LeaseFlags): { leaseMs: number; renewMs: number; pollMs: number } {
  const leaseMs = whole('--lease-ms', options.leaseMs, 'HARRIER_LEASE_MS', 10_000, 1);
  const renewMs = whole('--renew-ms', options.renewMs, 'HARRIER_RENEW_MS', 2_000, 1);
  if (renewMs >= leaseMs) throw new UsageError(`the lease renewal (${renewMs} ms) must be shorter than the lease (${leaseMs} ms)`);
  return { leaseMs, renewMs, pollMs: whole('--poll-ms', options.pollMs, 'HARRIER_POLL_MS', 500, 1) };
}

/**
 * Reads variables that hold credentials (a store URL's password, the server's basic auth and tokens)
 * and takes them out of the environment, which Process tasks inherit.
 */
export function takeFromEnv(name: 'HARRIER_STORE' | 'HARRIER_SERVER_BASIC_AUTH' | 'HARRIER_SERVER_TOKENS'): string | undefined {
  const value = process.env[name] || undefined;
  delete process.env[name];
  return value;
}

export function storeUrlOf(options: LeaseFlags): string | undefined {
  const fromEnv = takeFromEnv('HARRIER_STORE');
  return options.store ?? fromEnv;
}

/**
 * The WARN line a server or worker on a PostgreSQL store prints at start when what lives outside the
 * store is still per machine: workers elsewhere could not read its output files and FILE inputs,
 * nor decrypt its secrets. Undefined when nothing is missing, or the store is a state dir's.
 */
export function sharedFilesWarning(storeUrl: string | undefined, files: EngineFiles): string | undefined {
  if (storeUrl === undefined || !isPostgresUrl(storeUrl)) return undefined;
  const missing = [
    ...(files.storageDir === undefined ? ['the same shared --storage-dir (or HARRIER_STORAGE_DIR) for output files and FILE inputs, kept now in this machine\'s <state dir>/storage'] : []),
    ...(files.namespaceFilesRoot === undefined ? ['the same shared --namespace-files (or HARRIER_NAMESPACE_FILES) for namespace files, kept now in this machine\'s <state dir>/namespace-files'] : []),
    ...(files.secretKey === undefined ? [`the same ${SECRET_KEY_VARIABLE} for SECRET inputs, encrypted now with this state dir's own key file`] : []),
  ];
  if (missing.length === 0) return undefined;
  return `WARN: the store is PostgreSQL: servers and workers on other machines need ${missing.join(', and ')}`;
}

export function serviceLog(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Resolves with the first SIGTERM or SIGINT. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
}
