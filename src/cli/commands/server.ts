import { startServer } from '../../server/server.ts';
import { engineFilesOf } from '../context.ts';
import { leaseSettings, serviceLog, sharedFilesWarning, storeUrlOf, takeFromEnv, untilStopSignal, whole, type LeaseFlags } from './service-options.ts';

export interface ServerCommandOptions extends LeaseFlags {
  port: string;
  bind: string;
  stateDir?: string;
  storageDir?: string;
  namespaceFiles?: string;
  workers: string;
  flows?: string;
  basicAuth?: string;
  token: string[];
  maxBodyBytes?: string;
  maxUploadBytes?: string;
  name?: string;
}

/** `harrier server`: runs until SIGTERM or SIGINT, then hands its executions over and exits 0. */
export async function serverCommand(options: ServerCommandOptions, version: string): Promise<number> {
  const log = serviceLog;
  const tokens = [...options.token, ...(takeFromEnv('HARRIER_SERVER_TOKENS') ?? '').split(',').map((token) => token.trim()).filter(Boolean)];
  const basicAuthFromEnv = takeFromEnv('HARRIER_SERVER_BASIC_AUTH');
  const basicAuth = options.basicAuth ?? basicAuthFromEnv;
  const lease = leaseSettings(options);
  const files = engineFilesOf(options);
  const storeUrl = storeUrlOf(options);
  const server = await startServer({
    port: whole('--port', options.port, undefined, 8080),
    bind: options.bind,
    ...files,
    storeUrl,
    workers: whole('--workers', options.workers, undefined, 4),
    flowsDir: options.flows,
    auth: { basic: basicAuth, tokens },
    limits: {
      bodyBytes: whole('--max-body-bytes', options.maxBodyBytes, 'HARRIER_MAX_BODY_BYTES', 4 * 1024 * 1024, 1),
      uploadBytes: whole('--max-upload-bytes', options.maxUploadBytes, 'HARRIER_MAX_UPLOAD_BYTES', 1024 * 1024 * 1024, 1),
    },
    lease,
    name: options.name,
    version,
    log,
  });
  // After the start, so that a store that cannot be opened is the one line said.
  const warning = sharedFilesWarning(storeUrl, files);
  if (warning) log(warning);
  log(`harrier server listening on ${server.url} (store ${server.storeLocation}, ${options.workers} worker slots, lease ${lease.leaseMs} ms renewed every ${lease.renewMs} ms)`);
  const signal = await untilStopSignal();
  log(`harrier server: ${signal} received: taking no more work, handing running executions over (their containers and pods keep running)`);
  await server.stop();
  log('harrier server: stopped');
  // Detached runners may still hold a request open to Docker or the API server (a container's
  // wait, a watch) until their container ends: nothing is left to write, so the process ends now.
  process.exit(0);
}
