import { UsageError } from '../../shared/errors.ts';
import { startServer } from '../../server/server.ts';
import { stateDirOf } from '../context.ts';

export interface ServerCommandOptions {
  port: string;
  bind: string;
  stateDir?: string;
  store?: string;
  workers: string;
  flows?: string;
  basicAuth?: string;
  token: string[];
  leaseMs?: string;
  renewMs?: string;
  pollMs?: string;
  maxBodyBytes?: string;
  maxUploadBytes?: string;
  name?: string;
}

/** A whole number from a flag, else its environment variable, else the default. */
function whole(flag: string, value: string | undefined, envName: string | undefined, fallback: number, min = 0): number {
  const text = value ?? (envName ? process.env[envName] : undefined);
  if (text === undefined || text === '') return fallback;
  const number = Number(text);
  if (!Number.isInteger(number) || number < min) {
    throw new UsageError(`${flag}${value === undefined && envName ? ` (from ${envName})` : ''} must be a whole number of at least ${min}, not '${text}'`);
  }
  return number;
}

/** `harrier server`: runs until SIGTERM or SIGINT, then hands its executions over and exits 0. */
export async function serverCommand(options: ServerCommandOptions, version: string): Promise<number> {
  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  const tokens = [...options.token, ...(process.env.HARRIER_SERVER_TOKENS ?? '').split(',').map((token) => token.trim()).filter(Boolean)];
  const leaseMs = whole('--lease-ms', options.leaseMs, 'HARRIER_LEASE_MS', 10_000, 1);
  const renewMs = whole('--renew-ms', options.renewMs, 'HARRIER_RENEW_MS', 2_000, 1);
  if (renewMs >= leaseMs) throw new UsageError(`the lease renewal (${renewMs} ms) must be shorter than the lease (${leaseMs} ms)`);
  const server = await startServer({
    port: whole('--port', options.port, undefined, 8080),
    bind: options.bind,
    stateDir: stateDirOf(options),
    storeUrl: options.store ?? (process.env.HARRIER_STORE || undefined),
    workers: whole('--workers', options.workers, undefined, 4),
    flowsDir: options.flows,
    auth: { basic: options.basicAuth ?? (process.env.HARRIER_SERVER_BASIC_AUTH || undefined), tokens },
    limits: {
      bodyBytes: whole('--max-body-bytes', options.maxBodyBytes, 'HARRIER_MAX_BODY_BYTES', 4 * 1024 * 1024, 1),
      uploadBytes: whole('--max-upload-bytes', options.maxUploadBytes, 'HARRIER_MAX_UPLOAD_BYTES', 1024 * 1024 * 1024, 1),
    },
    lease: { leaseMs, renewMs, pollMs: whole('--poll-ms', options.pollMs, 'HARRIER_POLL_MS', 500, 1) },
    name: options.name,
    version,
    log,
  });
  log(`harrier server listening on ${server.url} (store ${server.storeLocation}, ${options.workers} worker slots, lease ${leaseMs} ms renewed every ${renewMs} ms)`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log(`harrier server: ${signal} received: taking no more work, handing running executions over (their containers and pods keep running)`);
  await server.stop();
  log('harrier server: stopped');
  // Detached runners may still hold a request open to Docker or the API server (a container's
  // wait, a watch) until their container ends: nothing is left to write, so the process ends now.
  process.exit(0);
}
