/** What every request handler can reach: the registries, the kubelet and the test controls. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventStore } from './events.ts';
import type { FaultRegistry } from './faults.ts';
import type { Kubelet } from './kubelet/kubelet.ts';
import type { Authorizer } from './rbac.ts';
import type { Stats } from './stats.ts';
import type { Status } from './status-errors.ts';
import type { PodStore } from './store.ts';

export interface Namespace {
  name: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
}

export interface SimContext {
  store: PodStore;
  events: EventStore;
  kubelet: Kubelet;
  authorizer: Authorizer;
  stats: Stats;
  faults: FaultRegistry;
  namespaces: Map<string, Namespace>;
  bookmarkIntervalMs: number;
  serverAddress: () => string;
}

/** Where a resource request points and which RBAC verb it is. */
export interface RequestInfo {
  verb: string;
  /** `pods`, `pods/log`, `pods/exec`, `namespaces` */
  resource: string;
  namespace?: string;
  name?: string;
  query: URLSearchParams;
  user: string;
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function sendStatus(res: ServerResponse, status: Status): void {
  sendJson(res, status.code, status);
}

export async function readBody(req: IncomingMessage, limit = 3 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request entity too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Query booleans as the apiserver reads them: `true`/`1`, anything else false. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1' || value === 'True';
}

export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? Math.trunc(number) : undefined;
}
