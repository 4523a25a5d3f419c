/** What `harrier server` and `harrier worker` share: whole-number settings, lease timings, the stop signal. */
import { UsageError } from '../../shared/errors.ts';

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

export function storeUrlOf(options: LeaseFlags): string | undefined {
  return options.store ?? (process.env.HARRIER_STORE || undefined);
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
