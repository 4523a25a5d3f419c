/**
 * The server's HTTP plumbing on node:http: a small router with `{name}` path parameters, body
 * reading under a size limit, JSON answers, Server-Sent Events, and the one error answer every bad
 * request gets (JSON with a message and a code, never a stack).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HarrierError, isHarrierError, type ErrorCode } from '../shared/errors.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Request {
  raw: IncomingMessage;
  method: Method;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
}

export type Handler = (request: Request, response: ServerResponse) => Promise<void> | void;

interface Route {
  method: Method;
  template: string;
  summary: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: Method, template: string, summary: string, handler: Handler): void {
    const names: string[] = [];
    const pattern = new RegExp(`^${template.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`);
    this.routes.push({ method, template, summary, pattern, names, handler });
  }

  /** The handler for a request, or the 404 / 405 error that answers it. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } {
    let pathMatched = false;
    for (const route of this.routes) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(found[i + 1])));
      return { handler: route.handler, params };
    }
    if (pathMatched) throw apiError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
    throw apiError('NOT_FOUND', `no API endpoint at ${path}`);
  }

  /** Every route, for the OpenAPI document. */
  list(): { method: Method; template: string; summary: string }[] {
    return this.routes.map(({ method, template, summary }) => ({ method, template, summary }));
  }
}

export function apiError(code: ErrorCode, message: string, hint?: string): HarrierError {
  return new HarrierError(message, { code, hint });
}

/** The request body, refused past `limit` bytes (413) while it is still arriving. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function tooLarge(limit: number): HarrierError {
  return apiError('BODY_TOO_LARGE', `the request body exceeds the limit of ${limit} bytes`);
}

/** The media type of the body, lower case, without parameters. */
export function mediaType(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  response.end(text);
}

/** The error answer: `{message, code}` with the code's HTTP status (500 for what is not a user's error). */
export function sendError(response: ServerResponse, error: unknown, log: (message: string) => void): void {
  let status = 500;
  let body: Record<string, unknown>;
  if (isHarrierError(error)) {
    status = error.status ?? (error.code === 'FLOW_INVALID' ? 422 : error.code === 'INPUT_INVALID' ? 422 : 400);
    body = { message: error.userMessage(), code: error.code, ...issuesOf(error) };
  } else {
    log(`server: internal error: ${error instanceof Error ? error.stack : String(error)}`);
    body = { message: 'internal server error (the server log has the details)', code: 'INTERNAL' };
  }
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, status, body);
}

function issuesOf(error: HarrierError): Record<string, unknown> {
  const issues = (error as { issues?: unknown }).issues;
  return Array.isArray(issues) ? { issues } : {};
}

/** Starts a Server-Sent Events stream; `send` writes one `message` event, `closed` tells when the client left. */
export function startEvents(request: IncomingMessage, response: ServerResponse): { send(data: unknown): void; closed: () => boolean; end(): void } {
  response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  response.flushHeaders();
  let closed = false;
  request.on('close', () => (closed = true));
  return {
    send: (data) => {
      if (!closed) response.write(`data: ${JSON.stringify(data)}\n\n`);
    },
    closed: () => closed || response.destroyed,
    end: () => response.end(),
  };
}

/** A whole non-negative number from the query, or the default; anything else is a 400. */
export function queryInt(query: URLSearchParams, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max) throw apiError('REQUEST_INVALID', `query parameter '${name}' must be a whole number from 0 to ${max}, not '${text}'`);
  return value;
}
