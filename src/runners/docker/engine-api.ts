/**
 * The part of the Docker Engine API the runner uses, over node:http: a unix socket, TCP (TLS
 * optional), or ssh:// through `ssh HOST docker system dial-stdio`, as the Docker CLI does it. Own
 * code rather than dockerode, whose docker-modem requires ssh2, and ssh2 compiles native code when
 * it is installed (its crypto binding, and cpu-features): an installed harrier must compile nothing.
 * Failed calls carry the daemon's `statusCode` and JSON body (`json`), as docker-client.ts reads them.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Duplex, type Readable } from 'node:stream';
import type Docker from 'dockerode';

export interface EngineConnection {
  socketPath?: string;
  protocol?: 'http' | 'https' | 'ssh';
  host?: string;
  port?: number | string;
  username?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** A failed call: the daemon answered with this status. */
export class EngineApiError extends Error {
  readonly statusCode: number;
  readonly json: unknown;

  constructor(statusCode: number, json: unknown) {
    const message = typeof json === 'object' && json && typeof (json as { message?: unknown }).message === 'string' ? (json as { message: string }).message : String(json ?? '');
    super(`(HTTP code ${statusCode}) ${message}`.trim());
    this.statusCode = statusCode;
    this.json = json;
  }
}

interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** A tar stream sent as the request body. */
  upload?: Readable;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class DockerEngine {
  private readonly connection: EngineConnection;

  constructor(connection: EngineConnection) {
    this.connection = connection;
  }

  async createVolume(options: { Name: string; Labels?: Record<string, string> }): Promise<void> {
    await this.json({ method: 'POST', path: '/volumes/create', body: options });
  }

  getVolume(name: string): { remove(): Promise<void> } {
    return { remove: async () => void (await this.json({ method: 'DELETE', path: `/volumes/${encodeURIComponent(name)}` })) };
  }

  async createContainer(options: Docker.ContainerCreateOptions): Promise<EngineContainer> {
    const { name, ...body } = options;
    const created = (await this.json({ method: 'POST', path: '/containers/create', query: { name }, body })) as { Id: string };
    return new EngineContainer(this, created.Id);
  }

  getContainer(reference: string): EngineContainer {
    return new EngineContainer(this, reference);
  }

  getImage(name: string): { inspect(options?: { abortSignal?: AbortSignal }): Promise<unknown> } {
    return { inspect: (options) => this.json({ method: 'GET', path: `/images/${encodeURIComponent(name)}/json`, signal: options?.abortSignal }) };
  }

  /** The pull's progress stream (JSON lines); read it to its end with followProgress. */
  pull(image: string, options: { authconfig?: object; abortSignal?: AbortSignal }): Promise<IncomingMessage> {
    const { repository, tag } = splitTag(image);
    const headers = options.authconfig ? { 'X-Registry-Auth': Buffer.from(JSON.stringify(options.authconfig)).toString('base64url') } : undefined;
    return this.stream({ method: 'POST', path: '/images/create', query: { fromImage: repository, tag }, headers, signal: options.abortSignal });
  }

  getEvents(options: { since: number; until: number; filters: Record<string, string[]> }): Promise<IncomingMessage> {
    return this.stream({ method: 'GET', path: '/events', query: { since: options.since, until: options.until, filters: JSON.stringify(options.filters) } });
  }

  /** Reads a progress stream to its end; a line with `error` fails it, as the Docker CLI does. */
  followProgress(stream: Readable, done: (error: Error | null) => void): void {
    let text = '';
    let failure: Error | null = null;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      const lines = text.split('\n');
      text = lines.pop()!;
      for (const line of lines) failure ??= progressError(line);
    });
    stream.on('end', () => done(failure ?? progressError(text)));
    stream.on('error', (error) => done(error));
  }

  /** A call whose answer is JSON (or empty). */
  async json(call: Call): Promise<unknown> {
    const response = await this.send(call);
    const text = await readAll(response);
    return text ? JSON.parse(text) : undefined;
  }

  /** A call whose answer is a stream, returned as soon as its headers arrive. */
  stream(call: Call): Promise<IncomingMessage> {
    return this.send(call);
  }

  private send(call: Call): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const query = Object.entries(call.query ?? {}).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined);
      const path = query.length ? `${call.path}?${new URLSearchParams(query.map(([key, value]): [string, string] => [key, String(value)]))}` : call.path;
      const body = call.body === undefined ? undefined : JSON.stringify(call.body);
      const headers: Record<string, string> = {
        ...call.headers,
        ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}),
        ...(call.upload ? { 'Content-Type': 'application/x-tar' } : {}),
      };
      const request = this.request({ method: call.method, path, headers, signal: call.signal }, (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(response);
          return;
        }
        readAll(response).then((text) => reject(new EngineApiError(status, parseJson(text))), reject);
      });
      request.on('error', reject);
      if (call.upload) {
        call.upload.on('error', (error) => request.destroy(error));
        call.upload.pipe(request);
      } else {
        request.end(body);
      }
    });
  }

  private request(options: RequestOptions, onResponse: (response: IncomingMessage) => void): ReturnType<typeof httpRequest> {
    const { connection } = this;
    if (connection.socketPath) return httpRequest({ ...options, socketPath: connection.socketPath }, onResponse);
    if (connection.protocol === 'ssh') {
      return httpRequest({ ...options, host: 'docker', createConnection: () => sshDialStdio(connection) }, onResponse);
    }
    const target = { ...options, host: connection.host, port: connection.port };
    if (connection.protocol === 'https') return httpsRequest({ ...target, ca: connection.ca, cert: connection.cert, key: connection.key }, onResponse);
    return httpRequest(target, onResponse);
  }
}

export class EngineContainer {
  private readonly engine: DockerEngine;
  readonly id: string;

  constructor(engine: DockerEngine, id: string) {
    this.engine = engine;
    this.id = id;
  }

  private get path(): string {
    return `/containers/${encodeURIComponent(this.id)}`;
  }

  inspect(): Promise<Docker.ContainerInspectInfo> {
    return this.engine.json({ method: 'GET', path: `${this.path}/json` }) as Promise<Docker.ContainerInspectInfo>;
  }

  async start(): Promise<void> {
    await this.engine.json({ method: 'POST', path: `${this.path}/start` });
  }

  wait(): Promise<{ StatusCode?: number }> {
    return this.engine.json({ method: 'POST', path: `${this.path}/wait` }) as Promise<{ StatusCode?: number }>;
  }

  async kill(): Promise<void> {
    await this.engine.json({ method: 'POST', path: `${this.path}/kill` });
  }

  async remove(options: { force?: boolean; v?: boolean }): Promise<void> {
    await this.engine.json({ method: 'DELETE', path: this.path, query: { force: options.force, v: options.v } });
  }

  /** The multiplexed log stream (the container has no TTY). */
  logs(options: { follow: boolean; stdout: boolean; stderr: boolean; timestamps: boolean; since?: number }): Promise<IncomingMessage> {
    return this.engine.stream({ method: 'GET', path: `${this.path}/logs`, query: { ...options } });
  }

  async putArchive(tar: Readable, options: { path: string; abortSignal?: AbortSignal }): Promise<void> {
    const response = await this.engine.stream({ method: 'PUT', path: `${this.path}/archive`, query: { path: options.path }, upload: tar, signal: options.abortSignal });
    await readAll(response);
  }

  /** HEAD of the archive: the path's stat in the X-Docker-Container-Path-Stat header. */
  infoArchive(options: { path: string }): Promise<IncomingMessage> {
    return this.engine.stream({ method: 'HEAD', path: `${this.path}/archive`, query: { path: options.path } });
  }

  getArchive(options: { path: string }): Promise<IncomingMessage> {
    return this.engine.stream({ method: 'GET', path: `${this.path}/archive`, query: { path: options.path } });
  }
}

/** `name:tag` apart, as the pull endpoint takes them; a digest or a name without tag stays whole. */
export function splitTag(image: string): { repository: string; tag?: string } {
  if (image.includes('@')) return { repository: image };
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? { repository: image.slice(0, colon), tag: image.slice(colon + 1) } : { repository: image };
}

/** One connection to the engine at an ssh:// address, through the remote `docker` CLI's stdio. */
function sshDialStdio(connection: EngineConnection): Duplex {
  const destination = connection.username ? `${connection.username}@${connection.host}` : connection.host!;
  const child = spawn('ssh', ['-o', 'BatchMode=yes', '-p', String(connection.port ?? 22), '--', destination, 'docker', 'system', 'dial-stdio'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const duplex = Duplex.from({ readable: child.stdout, writable: child.stdin });
  child.on('error', (error) => duplex.destroy(error));
  duplex.on('close', () => child.kill());
  return duplex;
}

function progressError(line: string): Error | null {
  if (!line.trim()) return null;
  const event = parseJson(line) as { error?: unknown; errorDetail?: { message?: unknown } } | string;
  if (typeof event !== 'object' || event === null) return null;
  const message = event.errorDetail?.message ?? event.error;
  return typeof message === 'string' ? new Error(message) : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}
