/**
 * One HTTP exchange with Node's own client (node:http, node:https): redirects followed by hand so
 * that the method rules and the limit are Kestra's, a connect timeout and a read-idle timeout on
 * the socket, the abort signal honoured at every step. The answer's body is left as a stream, so a
 * download never sits in memory. Certificates are checked against Node's trust store, which
 * NODE_EXTRA_CA_CERTS extends.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatDurationMs } from '../../shared/duration.ts';
import { HarrierError } from '../../shared/errors.ts';

/** A request body that can be produced again, since a 307 or 308 redirect sends it once more. */
export type BodySource = () => Promise<{ data: Buffer | Readable; contentType?: string }>;

export interface HttpCall {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: BodySource;
  connectTimeoutMs?: number;
  readIdleTimeoutMs: number;
  followRedirects: boolean;
  /** Accept any certificate (Kestra's `ssl.insecureTrustAllCertificates`). */
  insecure: boolean;
  signal: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  statusText: string;
  /** Where the answer came from, after redirects. */
  url: URL;
  /** Every header with all its values, names as the server wrote them. */
  headers: Record<string, string[]>;
  body: IncomingMessage;
}

export const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Sends the call and follows redirects; the caller reads or destroys the answer's body. */
export async function exchange(call: HttpCall): Promise<HttpAnswer> {
  let { url, method, headers, body } = call;
  for (let hops = 0; ; hops++) {
    const answer = await send({ ...call, url, method, headers, body });
    const location = answer.headers[headerName(answer.headers, 'location') ?? '']?.[0];
    if (!call.followRedirects || !REDIRECTS.has(answer.status) || location === undefined) return answer;
    answer.body.resume();
    if (hops === MAX_REDIRECTS) {
      throw new HarrierError(`${call.method} ${call.url} redirected more than ${MAX_REDIRECTS} times (last to ${location})`, {
        code: 'HTTP_RESPONSE_INVALID', hint: 'check the URL, or set options.followRedirects: false',
      });
    }
    const next = new URL(location, url);
    // As browsers and Apache's client: 303 turns into GET, and so do 301 and 302 after a POST.
    const toGet = (answer.status === 303 && method !== 'HEAD') || ((answer.status === 301 || answer.status === 302) && method === 'POST');
    if (toGet) {
      method = 'GET';
      body = undefined;
      headers = withoutHeaders(headers, ['content-type', 'content-length']);
    }
    // Credentials stay with the host they were written for.
    if (next.host !== url.host) headers = withoutHeaders(headers, ['authorization', 'cookie']);
    url = next;
  }
}

async function send(call: HttpCall): Promise<HttpAnswer> {
  const body = await call.body?.();
  const headers = { ...call.headers };
  if (body?.contentType !== undefined && headerName(headers, 'content-type') === undefined) headers['Content-Type'] = body.contentType;
  return sendWith(call, headers, body?.data);
}

function sendWith(call: HttpCall, headers: Record<string, string>, body: Buffer | Readable | undefined): Promise<HttpAnswer> {
  const { url, signal } = call;
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      reject(error instanceof HarrierError ? error : networkError(error, call));
    };
    const request = (secure ? httpsRequest : httpRequest)(url, {
      method: call.method,
      headers: headers as OutgoingHttpHeaders,
      signal,
      // A fresh connection per request: the connect timeout then always sees a connect.
      agent: false,
      ...(secure ? { rejectUnauthorized: !call.insecure } : {}),
    });
    let answerBody: IncomingMessage | undefined;
    const stopWith = (error: unknown): void => {
      request.destroy(error as Error);
      answerBody?.destroy(error as Error);
      fail(error);
    };
    const connectTimer = call.connectTimeoutMs === undefined ? undefined : setTimeout(
      () => stopWith(timeoutError(call, `connecting took longer than ${formatDurationMs(call.connectTimeoutMs!)} (options.timeout.connectTimeout)`)),
      call.connectTimeoutMs,
    );
    request.on('socket', (socket) => socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer)));
    request.setTimeout(call.readIdleTimeoutMs, () => stopWith(timeoutError(call,
      `the server sent nothing for ${formatDurationMs(call.readIdleTimeoutMs)} (options.timeout.readIdleTimeout)`)));
    request.on('error', fail);
    request.on('response', (response) => {
      answerBody = response;
      settled = true;
      clearTimeout(connectTimer);
      resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', url, headers: groupHeaders(response.rawHeaders), body: response });
    });
    void writeBody(request, body).catch((error: unknown) => stopWith(error instanceof HarrierError ? error : networkError(error, call)));
  });
}

async function writeBody(request: ReturnType<typeof httpRequest>, body: Buffer | Readable | undefined): Promise<void> {
  if (body === undefined || Buffer.isBuffer(body)) request.end(body);
  else await pipeline(body, request);
}

/** `rawHeaders` ([name, value, name, value, ...]) as name → values, first spelling of a name kept. */
export function groupHeaders(raw: string[]): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = headerName(grouped, raw[i]) ?? raw[i];
    (grouped[name] ??= []).push(raw[i + 1]);
  }
  return grouped;
}

/** The key of `headers` that is `name` in any case. */
export function headerName(headers: Record<string, unknown>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(headers).find((key) => key.toLowerCase() === lower);
}

function withoutHeaders(headers: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name.toLowerCase())));
}

function timeoutError(call: HttpCall, what: string): HarrierError {
  return new HarrierError(`${call.method} ${call.url}: ${what}`, { code: 'HTTP_TIMEOUT', hint: 'raise the timeout in options.timeout, or check the server' });
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS/;

function networkError(error: unknown, call: HttpCall): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ABORT_ERR') return error;
  const where = `${call.method} ${call.url}`;
  if (code && TLS_CODES.test(code)) {
    return new HarrierError(`${where}: the server's certificate is not trusted (${(error as Error).message})`, {
      code: 'HTTP_TLS_UNTRUSTED', cause: error, hint: 'add its CA to NODE_EXTRA_CA_CERTS for harrier',
    });
  }
  const reason = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `unknown host '${call.url.hostname}'`
    : code === 'ECONNREFUSED' ? 'connection refused'
      : code === 'ECONNRESET' ? 'the connection was reset'
        : (error as Error).message;
  return new HarrierError(`${where}: cannot reach the server: ${reason}`, { code: 'HTTP_UNREACHABLE', cause: error, hint: 'check the URL and that the server is up' });
}
