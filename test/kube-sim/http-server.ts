/**
 * The HTTPS front door: TLS with optional client certificates, authentication (x509 CN or bearer
 * token; anonymous gets 401), request accounting, fault injection, RBAC, then routing.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import { queryFlag, sendJson, sendStatus, type RequestInfo, type SimContext } from './context.ts';
import { apiGroupList, apiVersions, coreV1Resources, openApiV3CoreV1, openApiV3Root, versionInfo } from './discovery.ts';
import { chooseProtocol, prepareExec, runExecSession } from './exec.ts';
import { resetSocket } from './faults.ts';
import { streamLog } from './log.ts';
import { createPod, deletePod, getPod, listEvents, listNamespaces, listPods, namespaceObject } from './pods-api.ts';
import { ApiError, badRequest, failure, forbidden, internalError, methodNotAllowed, pathNotFound, unauthorized, type Status } from './status-errors.ts';
import { identityFromSubject, type Pki } from './tls.ts';
import { podTable, wantsTable } from './table.ts';
import type { Pod } from './types.ts';
import { watchPods } from './watch.ts';

function tableEvent(type: string, object: unknown): unknown {
  if (type === 'ERROR' || type === 'BOOKMARK') return { type, object };
  const pod = object as Pod;
  return { type, object: podTable([pod], { resourceVersion: pod.metadata.resourceVersion }) };
}

export interface ServerOptions {
  pki: Pki;
  /** Bearer tokens accepted, mapped to the user they authenticate. */
  tokens: Map<string, string>;
}

interface Route {
  info: Omit<RequestInfo, 'user' | 'query'>;
  handler: 'createPod' | 'getPod' | 'listPods' | 'watchPods' | 'deletePod' | 'log' | 'exec' | 'getNamespace' | 'listNamespaces' | 'listEvents' | 'podStatus';
}

/** Maps a path and method to the resource request (RBAC verb included), or undefined for 404. */
export function route(method: string, path: string, query: URLSearchParams): Route | Status | undefined {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'api' || parts[1] !== 'v1') return undefined;
  const rest = parts.slice(2);
  const watch = queryFlag(query, 'watch');
  const collectionVerb = method === 'GET' ? (watch ? 'watch' : 'list') : method === 'POST' ? 'create' : undefined;
  if (rest.length === 1 && rest[0] === 'events') {
    if (method !== 'GET' || watch) return methodNotAllowed();
    return { info: { verb: 'list', resource: 'events' }, handler: 'listEvents' };
  }
  if (rest.length === 1 && rest[0] === 'pods') {
    if (method !== 'GET') return methodNotAllowed();
    return { info: { verb: collectionVerb!, resource: 'pods' }, handler: watch ? 'watchPods' : 'listPods' };
  }
  if (rest[0] !== 'namespaces') return undefined;
  if (rest.length === 1) {
    if (method !== 'GET' || watch) return methodNotAllowed();
    return { info: { verb: 'list', resource: 'namespaces' }, handler: 'listNamespaces' };
  }
  const namespace = rest[1];
  if (rest.length === 2) {
    if (method !== 'GET') return methodNotAllowed();
    return { info: { verb: 'get', resource: 'namespaces', name: namespace }, handler: 'getNamespace' };
  }
  if (rest[2] === 'events' && rest.length === 3) {
    if (method !== 'GET') return methodNotAllowed();
    return { info: { verb: 'list', resource: 'events', namespace }, handler: 'listEvents' };
  }
  if (rest[2] !== 'pods') return undefined;
  if (rest.length === 3) {
    if (method === 'GET') return { info: { verb: collectionVerb!, resource: 'pods', namespace }, handler: watch ? 'watchPods' : 'listPods' };
    if (method === 'POST') return { info: { verb: 'create', resource: 'pods', namespace }, handler: 'createPod' };
    return methodNotAllowed();
  }
  const name = rest[3];
  if (rest.length === 4) {
    if (method === 'GET') return { info: { verb: 'get', resource: 'pods', namespace, name }, handler: 'getPod' };
    if (method === 'DELETE') return { info: { verb: 'delete', resource: 'pods', namespace, name }, handler: 'deletePod' };
    return methodNotAllowed();
  }
  if (rest.length === 5) {
    const sub = rest[4];
    if (sub === 'log') return method === 'GET' ? { info: { verb: 'get', resource: 'pods/log', namespace, name }, handler: 'log' } : methodNotAllowed();
    if (sub === 'status') return method === 'GET' ? { info: { verb: 'get', resource: 'pods/status', namespace, name }, handler: 'podStatus' } : methodNotAllowed();
    if (sub === 'exec') {
      if (method === 'GET') return { info: { verb: 'get', resource: 'pods/exec', namespace, name }, handler: 'exec' };
      if (method === 'POST') return { info: { verb: 'create', resource: 'pods/exec', namespace, name }, handler: 'exec' };
      return methodNotAllowed();
    }
  }
  return undefined;
}

function authenticate(req: IncomingMessage, options: ServerOptions): string | undefined {
  const socket = req.socket as TLSSocket;
  if (socket.authorized) {
    const identity = identityFromSubject(socket.getPeerCertificate()?.subject as unknown as Record<string, string>);
    if (identity) return identity.user;
  }
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (match) return options.tokens.get(match[1]);
  return undefined;
}

function writeRawStatus(socket: Duplex, status: Status): void {
  const body = JSON.stringify(status);
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' }[status.code] ?? 'Error';
  socket.end(`HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export function createApiServer(ctx: SimContext, options: ServerOptions): Server {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => chooseProtocol(protocols),
  });

  const server = createServer({
    key: options.pki.serverKey,
    cert: options.pki.serverCert,
    ca: options.pki.caCert,
    requestCert: true,
    rejectUnauthorized: false,
  });

  // A presented client certificate the CA did not sign ends the connection, as Go's
  // VerifyClientCertIfGiven does (no certificate at all is fine: tokens, or 401).
  server.on('secureConnection', (socket: TLSSocket) => {
    const cert = socket.getPeerCertificate();
    if (cert && Object.keys(cert).length > 0 && !socket.authorized) socket.destroy();
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch((error) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendStatus(res, error instanceof ApiError ? error.status : internalError((error as Error).message));
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void handleUpgrade(req, socket, head).catch((error) => {
      writeRawStatus(socket, error instanceof ApiError ? error.status : internalError((error as Error).message));
    });
  });

  async function admit(req: IncomingMessage, socket: Duplex): Promise<{ info: RequestInfo; handler: Route['handler'] } | Status | 'handled'> {
    const url = new URL(req.url ?? '/', 'https://kube-sim');
    const user = authenticate(req, options);
    if (!user) return unauthorized();
    const routed = route(req.method ?? 'GET', url.pathname, url.searchParams);
    if (!routed) return pathNotFound();
    if (!('handler' in routed)) return routed;
    const info: RequestInfo = { ...routed.info, query: url.searchParams, user };
    ctx.stats.count(info.verb, info.resource);
    for (const fault of ctx.faults.beforeRequest(`${info.verb} ${info.resource}`)) {
      if (fault.action === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
      if (fault.action === 'reset') {
        resetSocket(socket as never);
        return 'handled';
      }
      if (fault.action === 'error') return internalError('kube-sim injected failure');
    }
    // From 1.30 an exec WebSocket (a GET) must also be allowed to create pods/exec, as a real
    // API server checks (AuthorizePodWebsocketUpgradeCreatePermission).
    const verbs = routed.handler === 'exec' && info.verb === 'get' ? ['get', 'create'] : [info.verb];
    for (const verb of verbs) {
      if (!ctx.authorizer.allows({ user, verb, resource: info.resource, namespace: info.namespace, name: info.name })) {
        return forbidden({ user, verb, resource: info.resource, namespace: info.resource === 'namespaces' ? undefined : info.namespace, name: info.name });
      }
    }
    return { info, handler: routed.handler };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kube-sim');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/_sim/stats') return sendJson(res, 200, ctx.stats.snapshot());
    if (['/healthz', '/livez', '/readyz'].includes(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const nonResource: Record<string, () => unknown> = {
      '/version': versionInfo,
      '/api': () => apiVersions(ctx.serverAddress()),
      '/apis': apiGroupList,
      '/api/v1': coreV1Resources,
      '/openapi/v3': openApiV3Root,
      '/openapi/v3/api/v1': openApiV3CoreV1,
    };
    if (nonResource[path]) {
      if (!authenticate(req, options)) return sendStatus(res, unauthorized());
      return sendJson(res, 200, nonResource[path]());
    }
    const admitted = await admit(req, req.socket);
    if (admitted === 'handled') return;
    if (!('handler' in admitted)) return sendStatus(res, admitted);
    const { info, handler } = admitted;
    switch (handler) {
      case 'createPod': return createPod(ctx, info, req, res);
      case 'getPod': return getPod(ctx, info, req, res);
      case 'podStatus': return getPod(ctx, info, req, res);
      case 'listPods': return listPods(ctx, info, req, res);
      case 'watchPods': return watchPods(ctx, info, req, res, wantsTable(req.headers.accept) ? tableEvent : undefined);
      case 'deletePod': return deletePod(ctx, info, req, res);
      case 'log': return streamLog(ctx, info, req, res);
      case 'getNamespace': return sendJson(res, 200, namespaceObject(ctx, info.name!));
      case 'listNamespaces': return listNamespaces(ctx, info, res);
      case 'listEvents': return listEvents(ctx, info, res);
      case 'exec': {
        const prepared = prepareExec(ctx, info);
        if ('notRunning' in prepared) throw new ApiError(failure(500, 'InternalError', `Internal error occurred: ${prepared.notRunning}`));
        throw new ApiError(badRequest('Upgrade request required'));
      }
    }
  }

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const admitted = await admit(req, socket);
    if (admitted === 'handled') return;
    if (!('handler' in admitted)) return writeRawStatus(socket, admitted);
    if (admitted.handler !== 'exec') return writeRawStatus(socket, badRequest('only pods/exec can be upgraded on kube-sim'));
    const prepared = prepareExec(ctx, admitted.info);
    const isWebSocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (!isWebSocket) {
      return writeRawStatus(socket, badRequest('kube-sim speaks only WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) for pods/exec, not SPDY'));
    }
    runExecSession(ctx, wss, req, socket, head, prepared);
  }

  return server;
}
