import { createWriteStream, openAsBlob } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { renderDeep } from '../../expr/index.ts';
import { parseIsoDuration } from '../../shared/duration.ts';
import { HarrierError } from '../../shared/errors.ts';
import type { TaskContext, TaskOutcome } from '../contract.ts';
import type { HttpTask } from './descriptor.ts';
import { type BodySource, exchange, type HttpAnswer, headerName } from './exchange.ts';
import { HTTP_METHODS, httpOptionsSchema, type HttpOptions } from './schema.ts';

/** Request's largest body kept in memory as an output, unless options.maxContentLength says otherwise (Kestra: 10 MB). */
export const DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024;

/**
 * `io.kestra.plugin.core.http.Request` (outputs `uri`, `code`, `headers`, `body`) and `Download`
 * (outputs `uri` of the stored file, `code`, `length`, `headers`). A status of 400 or more fails
 * the task unless `options.allowFailed`.
 */
export async function runHttpTask(task: HttpTask, ctx: TaskContext): Promise<TaskOutcome> {
  const where = (property: string): string => `task '${task.id}', property '${property}'`;
  const render = <T>(value: T, property: string): T => renderDeep(value, ctx.scope, ctx.runtime, where(property));
  const options = parseOptions(render(task.options, 'options'), where('options'));
  const url = parseUrl(render(task.uri, 'uri'), where('uri'));
  const method = render(task.method, 'method').toUpperCase();
  if (!(HTTP_METHODS as readonly string[]).includes(method)) {
    throw new HarrierError(`${where('method')}: expected an HTTP method (${HTTP_METHODS.join(', ')}), got '${method}'`, { code: 'TASK_PROPERTY_INVALID' });
  }
  const contentType = render(task.contentType, 'contentType');
  const headers: Record<string, string> = { 'User-Agent': 'Harrier', ...authorization(options) };
  const body = await requestBody(task, ctx, render, contentType);
  // Without a body Kestra still sends the content type; with one, the body's own type goes (multipart's has its boundary).
  if (!body) headers['Content-Type'] = contentType;
  Object.assign(headers, render(task.headers, 'headers'));
  if (options.logs.includes('REQUEST_HEADERS')) logHeaders(ctx, `request ${method} ${url}`, headers);
  if (options.logs.includes('REQUEST_BODY') && task.body !== undefined) debug(ctx, `request body: ${render(task.body, 'body')}`);

  const answer = await exchange({
    url,
    method,
    headers,
    body,
    connectTimeoutMs: duration(options.timeout?.connectTimeout ?? options.connectTimeout),
    readIdleTimeoutMs: duration(options.readTimeout ?? options.readIdleTimeout ?? options.timeout?.readIdleTimeout ?? 'PT5M')!,
    followRedirects: options.followRedirects,
    insecure: options.ssl?.insecureTrustAllCertificates === true,
    signal: ctx.signal,
  });
  if (options.logs.includes('RESPONSE_HEADERS')) logHeaders(ctx, `response ${answer.status} ${answer.statusText}`, answer.headers);
  await assertAccepted(answer, options, method, url);

  if (task.action === 'request') {
    const text = await readText(answer, options.maxContentLength ?? DEFAULT_MAX_CONTENT_LENGTH, ctx.signal, method, url);
    const noBody = method === 'HEAD' || answer.status === 204 || answer.status === 304;
    if (options.logs.includes('RESPONSE_BODY')) debug(ctx, `response body: ${text}`);
    ctx.recordOutputs({ uri: url.href, code: answer.status, headers: answer.headers, body: noBody ? null : text });
    return { state: 'SUCCESS' };
  }
  return download(task, ctx, answer, options, method, url);
}

function parseOptions(rendered: Record<string, unknown>, where: string): HttpOptions {
  const parsed = httpOptionsSchema.safeParse(rendered);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new HarrierError(`${where}: invalid after rendering: ${problems}`, { code: 'TASK_PROPERTY_INVALID' });
  }
  return parsed.data;
}

function parseUrl(text: string, where: string): URL {
  // As Kestra: spaces are the one thing encoded for the user.
  const candidate = text.trim().replaceAll(' ', '%20');
  let url: URL | undefined;
  try {
    url = new URL(candidate);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new HarrierError(`${where}: '${text}' is not an http:// or https:// URL`, {
      code: 'TASK_PROPERTY_INVALID', hint: 'write a full URL like https://example.com/path',
    });
  }
  return url;
}

function duration(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseIsoDuration(text);
}

function authorization(options: HttpOptions): Record<string, string> {
  const auth = options.auth ?? (options.basicAuthUser === undefined ? undefined
    : { type: 'BASIC' as const, username: options.basicAuthUser, password: options.basicAuthPassword });
  if (!auth) return {};
  if (auth.type === 'BEARER') return { Authorization: `Bearer ${auth.token ?? ''}` };
  return { Authorization: `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64')}` };
}

/**
 * The body, as Kestra builds it: `formData` wins (multipart when contentType says so, else
 * URL-encoded), then `body` as text with `contentType`.
 */
async function requestBody(
  task: HttpTask,
  ctx: TaskContext,
  render: <T>(value: T, property: string) => T,
  contentType: string,
): Promise<BodySource | undefined> {
  const formData = task.formData === undefined ? {} : render(task.formData, 'formData');
  if (Object.keys(formData).length > 0) {
    if (contentType.toLowerCase().startsWith('multipart/form-data')) return multipartBody(formData, ctx);
    const encoded = new URLSearchParams(Object.entries(formData).map(([key, value]): [string, string] => [key, fieldText(value)])).toString();
    return async () => ({ data: Buffer.from(encoded), contentType: 'application/x-www-form-urlencoded' });
  }
  if (task.body === undefined) return undefined;
  const text = Buffer.from(render(task.body, 'body'));
  return async () => ({ data: text, contentType });
}

function fieldText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Stored files (`kestra:///…`, or `{name, content}` naming one) are streamed from storage, never read whole. */
async function multipartBody(formData: Record<string, unknown>, ctx: TaskContext): Promise<BodySource> {
  const parts: Array<{ key: string; text?: string; path?: string; name?: string }> = [];
  for (const [key, value] of Object.entries(formData)) {
    if (typeof value === 'string' && ctx.storage.isUri(value)) {
      const path = await ctx.storage.resolveUri(value);
      parts.push({ key, path, name: basename(path) });
    } else if (value && typeof value === 'object' && 'name' in value && 'content' in value) {
      const { name, content } = value as { name: unknown; content: unknown };
      parts.push({ key, path: await ctx.storage.resolveUri(String(content)), name: String(name) });
    } else {
      parts.push({ key, text: fieldText(value) });
    }
  }
  return async () => {
    const form = new FormData();
    for (const part of parts) {
      if (part.path === undefined) form.append(part.key, part.text!);
      else form.append(part.key, await openAsBlob(part.path), part.name);
    }
    // The web Response encodes multipart with its boundary, streaming each file from disk.
    const encoded = new Response(form);
    return { data: Readable.fromWeb(encoded.body as WebReadableStream), contentType: encoded.headers.get('content-type')! };
  };
}

async function assertAccepted(answer: HttpAnswer, options: HttpOptions, method: string, url: URL): Promise<void> {
  const allowed = options.allowedResponseCodes;
  const failed = allowed !== undefined && allowed.length > 0 ? !allowed.includes(answer.status) : answer.status >= 400 && !options.allowFailed;
  if (!failed) return;
  const excerpt = await bodyExcerpt(answer);
  throw new HarrierError(`${method} ${url} answered ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}${excerpt ? `: ${excerpt}` : ''}`, {
    code: 'HTTP_STATUS_FAILED',
    status: answer.status,
    hint: allowed ? `allowedResponseCodes is ${JSON.stringify(allowed)}` : 'set options.allowFailed: true to accept failure codes',
  });
}

/** The start of a failure answer's body on one line, so the task's error says what the server said. */
async function bodyExcerpt(answer: HttpAnswer): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of answer.body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= 4096) break;
    }
  } catch {
    // The excerpt is a courtesy: the status alone is the failure.
  } finally {
    answer.body.destroy();
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

async function readText(answer: HttpAnswer, limit: number, signal: AbortSignal, method: string, url: URL): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of answer.body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        answer.body.destroy();
        throw new HarrierError(`${method} ${url}: the answer's body is over ${limit} bytes, more than Request keeps as an output`, {
          code: 'HTTP_RESPONSE_INVALID', hint: 'use io.kestra.plugin.core.http.Download for large answers, or raise options.maxContentLength',
        });
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    throw brokenOff(error, signal, method, url, size);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A transfer that stopped midway: our own errors (timeouts, limits) and a kill pass through. */
function brokenOff(error: unknown, signal: AbortSignal, method: string, url: URL, received: number): unknown {
  if (error instanceof HarrierError || signal.aborted) return error;
  return new HarrierError(`${method} ${url}: the answer broke off after ${received} bytes (${(error as Error).message})`, {
    code: 'HTTP_RESPONSE_INVALID', cause: error, hint: 'try again; the server or the network dropped the transfer',
  });
}

/** Streams the body into the attempt's folder, checks its length, and moves it into internal storage. */
async function download(task: HttpTask, ctx: TaskContext, answer: HttpAnswer, options: HttpOptions, method: string, url: URL): Promise<TaskOutcome> {
  const name = fileName(answer, url);
  const path = join(ctx.attemptDir, name);
  let length = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      length += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(answer.body, counter, createWriteStream(path)).catch((error: unknown) => {
    throw brokenOff(error, ctx.signal, method, url, length);
  });
  const announced = answer.headers[headerName(answer.headers, 'content-length') ?? '']?.[0];
  if (announced !== undefined && Number(announced) !== length && method !== 'HEAD') {
    throw new HarrierError(`${method} ${url}: the answer was cut short: got ${length} bytes, Content-Length said ${announced}`, {
      code: 'HTTP_RESPONSE_INVALID', hint: 'try again; the server or the network dropped the transfer',
    });
  }
  if (length === 0) {
    if (task.failOnEmptyResponse && !options.allowFailed) {
      throw new HarrierError(`${method} ${url}: the answer is empty`, { code: 'HTTP_RESPONSE_INVALID', hint: 'set failOnEmptyResponse: false to accept an empty file' });
    }
    ctx.notice('WARN', `file '${url}' is empty`);
  }
  const scope = { namespace: ctx.identity.namespace, flowId: ctx.identity.flowId, executionId: ctx.identity.executionId };
  const stored = await ctx.storage.put(ctx.storage.taskFileKey(scope, ctx.identity.taskId, ctx.identity.taskRunId, name), path, { move: true });
  ctx.metric({ name: 'response.length', type: 'counter', value: length, tags: {}, timestamp: new Date().toISOString() });
  ctx.recordOutputs({ uri: stored.uri, code: answer.status, length, headers: answer.headers });
  return { state: 'SUCCESS' };
}

/** The stored file's name: Content-Disposition's filename, else the URL's last path segment, one safe segment either way. */
export function fileName(answer: Pick<HttpAnswer, 'headers'>, url: URL): string {
  const disposition = answer.headers[headerName(answer.headers, 'content-disposition') ?? '']?.[0];
  const fromHeader = disposition === undefined ? undefined : dispositionFileName(disposition);
  let fromUrl: string | undefined;
  try {
    fromUrl = decodeURIComponent(url.pathname.split('/').pop() ?? '');
  } catch {
    fromUrl = url.pathname.split('/').pop();
  }
  const name = (fromHeader ?? fromUrl ?? '').split(/[\\/]/).pop()!.replace(/[^A-Za-z0-9._-]/g, '_');
  return name === '' || /^\.+$/.test(name) ? 'download' : name;
}

function dispositionFileName(header: string): string | undefined {
  let name: string | undefined;
  for (const part of header.split(';').map((piece) => piece.trim())) {
    if (part.toLowerCase().startsWith('filename*=')) {
      const value = part.slice(part.indexOf('=') + 1);
      try {
        return decodeURIComponent(value.slice(value.indexOf("''") + 2).replace(/^"|"$/g, ''));
      } catch {
        continue;
      }
    }
    if (part.toLowerCase().startsWith('filename=')) name = part.slice(part.indexOf('=') + 1).replace(/^"|"$/g, '');
  }
  return name;
}

function logHeaders(ctx: TaskContext, title: string, headers: Record<string, string | string[]>): void {
  debug(ctx, title);
  for (const [name, values] of Object.entries(headers)) {
    for (const value of [values].flat()) debug(ctx, `  ${name}: ${/^authorization$/i.test(name) ? '******' : value}`);
  }
}

function debug(ctx: TaskContext, line: string): void {
  for (const piece of line.split('\n')) ctx.log({ level: 'DEBUG', line: piece, timestamp: new Date().toISOString() });
}
