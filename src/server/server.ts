/**
 * `harrier server`: the API, the executor and N worker slots in one process, on the embedded store
 * of a state directory. Several servers may share one state directory (SQLite's WAL lets them):
 * leases decide which slot drives each execution.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { GivenKey } from '../engine/encryption.ts';
import { Engine } from '../engine/index.ts';
import { WorkerPool } from '../worker/pool.ts';
import type { ApiContext, ServerLimits } from './api/context.ts';
import { executionRoutes } from './api/executions.ts';
import { flowRoutes } from './api/flows.ts';
import { logRoutes } from './api/logs.ts';
import { namespaceFileRoutes } from './api/namespace-files.ts';
import { openApiDocument } from './api/openapi.ts';
import { FlowDeployer } from './flow-deployer.ts';
import { Router, sendError, sendJson, type Method } from './http.ts';
import { checkAuth, checkBindPolicy, checkCrossSite, isLoopbackBind, type AuthConfig } from './security.ts';

export interface ServerOptions {
  port: number;
  bind: string;
  /** Files (uploads, outputs, the secret key), and the embedded store unless `storeUrl` names another. */
  stateDir: string;
  storeUrl?: string;
  /** Internal storage's folder (default `<state dir>/storage`). */
  storageDir?: string;
  namespaceFilesRoot?: string;
  secretKey?: GivenKey;
  workers: number;
  flowsDir?: string;
  auth: AuthConfig;
  limits: ServerLimits;
  lease: { leaseMs: number; renewMs: number; pollMs: number };
  name?: string;
  version: string;
  log(message: string): void;
}

export interface RunningServer {
  url: string;
  /** The store's location for messages (never a password). */
  storeLocation: string;
  /** SIGTERM: stop taking work, release every lease at once, leave pods and containers running. */
  stop(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  checkBindPolicy(options.bind, options.auth);
  const engine = await Engine.open({ stateDir: options.stateDir, storeUrl: options.storeUrl, storageDir: options.storageDir, namespaceFilesRoot: options.namespaceFilesRoot, secretKey: options.secretKey,
  });
  mkdirSync(join(options.stateDir, 'uploads'), { recursive: true, mode: 0o700 });
  const pool = new WorkerPool({ engine, slots: options.workers, ...options.lease, name: options.name, log: options.log });
  const ctx: ApiContext = { engine, stateDir: options.stateDir, limits: options.limits, log: options.log };
  const router = new Router();
  router.add('GET', '/api/v1/openapi.json', 'This document', (_request, response) => sendJson(response, 200, openApiDocument(router, options.version)));
  flowRoutes(router, ctx);
  executionRoutes(router, ctx);
  logRoutes(router, ctx);
  namespaceFileRoutes(router, ctx);

  const loopbackOnly = isLoopbackBind(options.bind);
  const handle = async (raw: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const url = new URL(raw.url ?? '/', 'http://server');
      // Kestra's tenant-prefixed paths (/api/v1/main/...) name the same endpoints.
      const path = url.pathname.replace(/^\/api\/v1\/main\//, '/api/v1/');
      checkCrossSite(raw, loopbackOnly);
      checkAuth(raw, options.auth);
      const { handler, params } = router.match(raw.method ?? 'GET', path);
      await handler({ raw, method: raw.method as Method, path, params, query: url.searchParams }, response);
    } catch (error) {
      // The body may not have been read: the connection closes after the answer.
      response.setHeader('Connection', 'close');
      sendError(response, error, options.log);
    }
  };
  const http = createServer({ requestTimeout: 0, headersTimeout: 30_000 }, (request, response) => void handle(request, response));
  const deployer = options.flowsDir ? new FlowDeployer(options.flowsDir, engine.store, options.log) : undefined;
  await deployer?.start();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.bind, () => resolve());
  });
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  await pool.start();
  return {
    url: `http://${host}:${address.port}`,
    storeLocation: engine.store.location,
    stop: async () => {
      deployer?.stop();
      http.close();
      await pool.stop();
      http.closeAllConnections();
      await engine.close();
    },
  };
}
