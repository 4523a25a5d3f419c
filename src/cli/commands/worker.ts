import { startWorker } from '../../worker/worker.ts';
import { engineFilesOf } from '../context.ts';
import { leaseSettings, serviceLog, sharedFilesWarning, storeUrlOf, untilStopSignal, whole, type LeaseFlags } from './service-options.ts';

export interface WorkerCommandOptions extends LeaseFlags {
  stateDir?: string;
  storageDir?: string;
  namespaceFiles?: string;
  slots: string;
  name?: string;
}

/** `harrier worker`: runs until SIGTERM or SIGINT, then hands its executions over and exits 0. */
export async function workerCommand(options: WorkerCommandOptions): Promise<number> {
  const lease = leaseSettings(options);
  const slots = whole('--slots', options.slots, undefined, 4, 1);
  const files = engineFilesOf(options);
  const storeUrl = storeUrlOf(options);
  const worker = await startWorker({ ...files, storeUrl, slots, lease, name: options.name, log: serviceLog });
  // After the start, so that a store that cannot be opened is the one line said.
  const warning = sharedFilesWarning(storeUrl, files);
  if (warning) serviceLog(warning);
  serviceLog(`harrier worker running (store ${worker.storeLocation}, ${slots} slots, lease ${lease.leaseMs} ms renewed every ${lease.renewMs} ms)`);
  const signal = await untilStopSignal();
  serviceLog(`harrier worker: ${signal} received: taking no more work, handing running executions over (their containers and pods keep running)`);
  await worker.stop();
  serviceLog('harrier worker: stopped');
  // As for the server: detached runners may still hold a request open until their container ends.
  process.exit(0);
}
