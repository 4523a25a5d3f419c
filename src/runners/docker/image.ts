/**
 * Getting the task's image onto the Docker daemon according to `pullPolicy`.
 * Under ALWAYS, a failed pull falls back to an image the daemon already has, with a warning: a
 * daemon that cannot reach its registry (an air-gapped machine, a CI box) still runs local images.
 */
import { hasCode, RunnerError } from '../../shared/errors.ts';
import type { NoticeLevel } from '../contract.ts';
import { type DockerClient, dockerError, daemonMessage, firstLine, statusOf } from './docker-client.ts';
import type { DockerProperties } from './properties.ts';

const PATH = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export interface ImageReference {
  /** Registry host, undefined for Docker Hub. */
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** Parses a reference with the Docker distribution grammar; a bad one is a one-line error. */
export function parseImageReference(image: string): ImageReference {
  const at = image.indexOf('@');
  const named = at < 0 ? image : image.slice(0, at);
  const digest = at < 0 ? undefined : image.slice(at + 1);
  const slash = named.indexOf('/');
  const first = slash < 0 ? undefined : named.slice(0, slash);
  // As in Docker: the first part names a registry only if it looks like a host.
  const registry = first !== undefined && (/[.:A-Z]/.test(first) || first === 'localhost') ? first : undefined;
  const remainder = registry === undefined ? named : named.slice(slash + 1);
  const colon = remainder.lastIndexOf(':');
  const repository = colon < 0 ? remainder : remainder.slice(0, colon);
  const tag = colon < 0 ? undefined : remainder.slice(colon + 1);
  const valid =
    image.length <= 255 &&
    (registry === undefined || DOMAIN.test(registry)) &&
    PATH.test(repository) &&
    (tag === undefined || TAG.test(tag)) &&
    (digest === undefined || DIGEST.test(digest));
  if (!valid) {
    throw new RunnerError(`Docker runner: containerImage '${image}' is not a valid image reference`, {
      code: 'IMAGE_INVALID',
      hint: 'write it as [REGISTRY/]NAME[:TAG][@DIGEST] with a lowercase name, e.g. python:3.12-slim or ghcr.io/org/tool:1.0',
    });
  }
  return { registry, repository, tag, digest };
}

/** The reference with `:latest` added when it names no tag or digest, as `docker pull` does. */
export function withDefaultTag(image: string, reference: ImageReference): string {
  return reference.tag === undefined && reference.digest === undefined ? `${image}:latest` : image;
}

type AuthConfig = Record<string, string>;

const DOCKER_HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

/** Registry credentials from `credentials`, else from the matching entry of a `config` (config.json). */
export function registryAuth(properties: DockerProperties, reference: ImageReference): AuthConfig | undefined {
  const credentials = properties.credentials;
  if (credentials && Object.values(credentials).some((value) => value !== undefined && value !== '')) {
    const auth: AuthConfig = {};
    const decoded = credentials.auth ? decodeBasicAuth(credentials.auth) : undefined;
    const username = credentials.username ?? decoded?.username;
    const password = credentials.password ?? decoded?.password;
    if (username !== undefined) auth.username = username;
    if (password !== undefined) auth.password = password;
    if (credentials.identityToken) auth.identitytoken = credentials.identityToken;
    if (credentials.registryToken) auth.registrytoken = credentials.registryToken;
    auth.serveraddress = credentials.registry ?? reference.registry ?? DOCKER_HUB_KEYS[0];
    return auth;
  }
  if (properties.config === undefined) return undefined;
  const config = readConfig(properties.config);
  const auths = (config.auths ?? {}) as Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  const keys = reference.registry ? [reference.registry, `https://${reference.registry}`, `https://${reference.registry}/v1/`] : DOCKER_HUB_KEYS;
  const entry = keys.map((key) => auths[key]).find((value) => value !== undefined);
  if (!entry) return undefined;
  const decoded = entry.auth ? decodeBasicAuth(entry.auth) : undefined;
  const auth: AuthConfig = { serveraddress: reference.registry ?? DOCKER_HUB_KEYS[0] };
  const username = entry.username ?? decoded?.username;
  const password = entry.password ?? decoded?.password;
  if (username !== undefined) auth.username = username;
  if (password !== undefined) auth.password = password;
  if (entry.identitytoken) auth.identitytoken = entry.identitytoken;
  return auth;
}

function readConfig(config: string | Record<string, unknown>): Record<string, unknown> {
  if (typeof config !== 'string') return config;
  try {
    const parsed: unknown = JSON.parse(config);
    if (parsed && typeof parsed === 'object') return parsed as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new RunnerError('Docker runner: taskRunner.config is not a Docker config.json document', {
    code: 'RUNNER_PROPERTIES_INVALID',
    hint: 'give the content of a config.json, e.g. {"auths": {"ghcr.io": {"auth": "<base64 user:password>"}}}',
  });
}

function decodeBasicAuth(auth: string): { username: string; password: string } | undefined {
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

export interface EnsureImageOptions {
  policy: DockerProperties['pullPolicy'];
  auth?: AuthConfig;
  signal: AbortSignal;
  notice(level: NoticeLevel, message: string): void;
  /** Told just before a pull starts. */
  pulling?(): void;
}

/** Makes sure `image` is on the daemon, pulling as the policy says. */
export async function ensureImage(client: DockerClient, image: string, options: EnsureImageOptions): Promise<void> {
  const present = await imagePresent(client, image, options.signal);
  if (options.policy === 'NEVER') {
    if (present) return;
    throw new RunnerError(`Docker runner: image ${image} is not on the Docker engine at ${client.host} and pullPolicy is NEVER`, {
      code: 'IMAGE_PULL',
      hint: `load it there first (docker pull ${image}, docker load or docker build), or set pullPolicy to IF_NOT_PRESENT`,
    });
  }
  if (options.policy === 'IF_NOT_PRESENT' && present) return;
  options.notice('INFO', `pulling image ${image}`);
  options.pulling?.();
  try {
    await pullImage(client, image, options.auth, options.signal);
    options.notice('INFO', `pulled image ${image}`);
  } catch (error) {
    if (options.signal.aborted || hasCode(error, 'DOCKER_UNREACHABLE')) throw error;
    const reason = firstLine(daemonMessage(error));
    if (present) {
      options.notice('WARN', `could not pull image ${image} (${reason}); using the copy already on the engine`);
      return;
    }
    throw new RunnerError(`Docker runner: cannot pull image ${image}: ${reason}`, {
      code: 'IMAGE_PULL',
      hint: 'check the image name and tag, the registry credentials and that the Docker engine can reach the registry',
      cause: error,
    });
  }
}

async function imagePresent(client: DockerClient, image: string, signal: AbortSignal): Promise<boolean> {
  try {
    await client.docker.getImage(image).inspect({ abortSignal: signal } as object);
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    if (signal.aborted) throw signal.reason;
    throw dockerError(client, `inspecting image ${image}`, error);
  }
}

async function pullImage(client: DockerClient, image: string, auth: AuthConfig | undefined, signal: AbortSignal): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await client.docker.pull(image, { ...(auth ? { authconfig: auth } : {}), abortSignal: signal });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const translated = dockerError(client, `pulling ${image}`, error);
    throw translated.code === 'DOCKER_UNREACHABLE' ? translated : error;
  }
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    client.docker.modem.followProgress(stream, (error: Error | null) => {
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    });
  });
}
