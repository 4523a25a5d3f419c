/**
 * Which Docker daemon a task talks to, and how its failures read to a user.
 * The host comes from the runner's `host` property, else DOCKER_HOST, else the local socket. A TCP
 * daemon uses TLS when DOCKER_TLS_VERIFY is set or DOCKER_CERT_PATH names a certificate folder
 * (ca.pem, cert.pem, key.pem, as the Docker CLI expects them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RunnerError } from '../../shared/errors.ts';
import { DockerEngine, type EngineConnection } from './engine-api.ts';

export const LOCAL_SOCKET = 'unix:///var/run/docker.sock';

export interface DockerClient {
  docker: DockerEngine;
  /** The host as the user would write it, for messages. */
  host: string;
}

export function connectDocker(hostProperty: string | undefined, env: NodeJS.ProcessEnv = process.env): DockerClient {
  const host = hostProperty?.trim() || env.DOCKER_HOST?.trim() || LOCAL_SOCKET;
  return { docker: new DockerEngine(dockerOptions(host, env)), host };
}

/** How to reach the engine at a host URL; exported for tests of the parsing. */
export function dockerOptions(host: string, env: NodeJS.ProcessEnv): EngineConnection {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  if (host.startsWith('npipe://')) return { socketPath: host.slice('npipe:'.length).replace(/\//g, '\\') };
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw invalidHost(host);
  }
  const port = url.port || undefined;
  switch (url.protocol) {
    case 'ssh:':
      return { protocol: 'ssh', host: url.hostname, port: port ?? 22, username: decodeURIComponent(url.username) || undefined };
    case 'http:':
      return { protocol: 'http', host: url.hostname, port: port ?? 2375 };
    case 'https:':
      return { protocol: 'https', host: url.hostname, port: port ?? 2376, ...tlsFiles(env) };
    case 'tcp:': {
      const tls = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
      const certs = tls || env.DOCKER_CERT_PATH ? tlsFiles(env) : {};
      const secure = tls || 'cert' in certs;
      return { protocol: secure ? 'https' : 'http', host: url.hostname, port: port ?? (secure ? 2376 : 2375), ...certs };
    }
    default:
      throw invalidHost(host);
  }
}

function tlsFiles(env: NodeJS.ProcessEnv): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const dir = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const read = (name: string): Buffer | undefined => (existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : undefined);
  const files = { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
  return Object.fromEntries(Object.entries(files).filter(([, value]) => value !== undefined));
}

function invalidHost(host: string): RunnerError {
  return new RunnerError(`Docker runner: host '${host}' is not a Docker engine address`, {
    code: 'RUNNER_PROPERTIES_INVALID',
    hint: 'use unix:///var/run/docker.sock, tcp://HOST:2375, tcp://HOST:2376 with TLS, or ssh://USER@HOST',
  });
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** The daemon's HTTP status of a failed call, if it answered at all. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The daemon's own message for a failed call (its JSON `message`), or the client error's text. */
export function daemonMessage(error: unknown): string {
  const json = (error as { json?: unknown } | null)?.json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim();
  }
  if (typeof json === 'string' && json.trim()) return json.trim();
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8').trim();
  // The client's own text: "(HTTP code 500) <daemon message>".
  return error instanceof Error ? error.message.replace(/^\(HTTP code \d+\)\s*(?:[\w ]+ - )?/, '').trim() : String(error);
}

/**
 * Turns a failed Docker call into a one-line RunnerError; an unreachable daemon (DOCKER_UNREACHABLE:
 * nothing the task or its image can change) says what to do.
 */
export function dockerError(client: DockerClient, doing: string, error: unknown): RunnerError {
  if (error instanceof RunnerError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code) && statusOf(error) === undefined) {
    return new RunnerError(`Docker runner: cannot reach the Docker engine at ${client.host} (${code})`, {
      code: 'DOCKER_UNREACHABLE',
      hint: 'start dockerd (or Docker Desktop), or point DOCKER_HOST or the runner\'s host property at a running engine',
      cause: error,
    });
  }
  return new RunnerError(`Docker runner: ${doing} failed on ${client.host}: ${firstLine(daemonMessage(error))}`, {
    code: 'DOCKER_API_ERROR',
    status: statusOf(error),
    cause: error,
  });
}

export function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
