/**
 * `harrier worker`: worker slots alone, with no API, on a store that a `harrier server` elsewhere
 * fills (PostgreSQL, for workers on other machines; or the embedded store of a shared state dir).
 */
import type { GivenKey } from '../engine/encryption.ts';
import { Engine } from '../engine/index.ts';
import { WorkerPool } from './pool.ts';

export interface WorkerOptions {
  /** Files (task working folders, caches, the secret key), and the embedded store unless `storeUrl` names another. */
  stateDir: string;
  storeUrl?: string;
  /** Internal storage's folder (default `<state dir>/storage`): the servers' and other workers' on a shared store. */
  storageDir?: string;
  namespaceFilesRoot?: string;
  secretKey?: GivenKey;
  slots: number;
  lease: { leaseMs: number; renewMs: number; pollMs: number };
  name?: string;
  log(message: string): void;
}

export interface RunningWorker {
  /** The store's location for messages (never a password). */
  storeLocation: string;
  /** SIGTERM: stop taking work, release every lease at once, leave pods and containers running. */
  stop(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const engine = await Engine.open({ stateDir: options.stateDir, storeUrl: options.storeUrl, storageDir: options.storageDir, namespaceFilesRoot: options.namespaceFilesRoot, secretKey: options.secretKey,
  });
  const pool = new WorkerPool({ engine, slots: options.slots, ...options.lease, name: options.name, log: options.log });
  await pool.start();
  return {
    storeLocation: engine.store.location,
    stop: async () => {
      await pool.stop();
      await engine.close();
    },
  };
}
