/**
 * `pods/exec` over a WebSocket (`v5.channel.k8s.io`), with the connection options client-node
 * computes. Written here rather than with client-node's Exec because a runner needs: backpressure
 * both ways (the client writes stdout without waiting and sends stdin as fast as it is read, so a
 * 1 GiB transfer would sit in memory), the Status body of a refused upgrade (403 names the missing
 * permission), and the v5 stdin half-close (under v4 closing stdin closes the socket and loses the
 * exit status, so stdin requires v5).
 */
import type { Readable, Writable } from 'node:stream';
import WebSocket from 'ws';
import { RunnerError } from '../../shared/errors.ts';
import { errorFromStatus, toRunnerError, type RequestContext } from './api-errors.ts';
import type { KubeClient } from './client.ts';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;
const MAX_STDERR = 16 * 1024;

export interface ExecOptions {
  client: KubeClient;
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  stdin?: Readable;
  stdout?: Writable;
  signal?: AbortSignal;
}

export interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

export interface ExecResult {
  /** Undefined when the connection closed without a Status frame. */
  exitCode: number | undefined;
  stderr: string;
  status?: ExecStatus;
}

/** The exit code a Status frame reports; throws for failures that are not an exit code. */
export function exitCodeOf(status: ExecStatus, where: string): number {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((entry) => entry.reason === 'ExitCode');
  if (cause?.message !== undefined && /^\d+$/.test(cause.message)) return Number(cause.message);
  throw new RunnerError(`exec in ${where} failed: ${status.reason ?? 'Failure'}: ${status.message ?? 'no message'}`);
}

export function execPath(options: Pick<ExecOptions, 'namespace' | 'pod' | 'container' | 'command' | 'stdin' | 'stdout'>): string {
  const query = new URLSearchParams();
  for (const part of options.command) query.append('command', part);
  query.set('container', options.container);
  query.set('stdin', String(Boolean(options.stdin)));
  query.set('stdout', String(Boolean(options.stdout)));
  query.set('stderr', 'true');
  query.set('tty', 'false');
  return `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods/${encodeURIComponent(options.pod)}/exec?${query.toString()}`;
}

export async function execInPod(options: ExecOptions): Promise<ExecResult> {
  const { client } = options;
  const where = `container ${options.container} of pod ${options.pod}`;
  const ctx: RequestContext = { verb: 'create', resource: 'pods/exec', namespace: options.namespace, name: options.pod, server: client.server };
  options.signal?.throwIfAborted();
  let requestOptions: Awaited<ReturnType<KubeClient['requestOptions']>>;
  try {
    requestOptions = await client.requestOptions();
  } catch (error) {
    throw toRunnerError(error, ctx);
  }
  const url = client.url(execPath(options));
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';

  return new Promise<ExecResult>((resolve, reject) => {
    const socket = new WebSocket(url, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
      ...(requestOptions as WebSocket.ClientOptions),
      perMessageDeflate: false,
    });
    let stderr = '';
    let status: ExecStatus | undefined;
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      socket.terminate();
      options.stdin?.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    socket.on('unexpected-response', (request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        fail(errorFromStatus(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), ctx));
        request.destroy();
      });
      response.on('error', (error) => fail(toRunnerError(error, ctx)));
    });
    socket.on('error', (error) => fail(toRunnerError(error, ctx)));
    socket.on('open', () => {
      if (!options.stdin) return;
      if (socket.protocol !== 'v5.channel.k8s.io') {
        fail(new RunnerError(`exec in ${where}: the API server speaks ${socket.protocol || 'no channel protocol'}, not v5.channel.k8s.io`, {
          hint: 'sending files into a pod needs Kubernetes 1.30 or newer (WebSocket stream half-close)',
        }));
        return;
      }
      pumpStdin(socket, options.stdin).catch((error: unknown) => fail(error));
    });
    socket.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const channel = data[0];
      const payload = data.subarray(1);
      if (channel === STDOUT && payload.length > 0 && options.stdout) {
        if (!options.stdout.write(payload)) {
          socket.pause();
          options.stdout.once('drain', () => socket.resume());
        }
      } else if (channel === STDERR && stderr.length < MAX_STDERR) {
        stderr += payload.toString('utf8');
      } else if (channel === STATUS) {
        try {
          status = JSON.parse(payload.toString('utf8')) as ExecStatus;
        } catch {
          status = { status: 'Failure', message: payload.toString('utf8') };
        }
      }
      // Channel 255 (a stream closed) carries nothing to act on.
    });
    socket.on('close', () => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      options.stdout?.end();
      try {
        resolve({ exitCode: status ? exitCodeOf(status, where) : undefined, stderr: stderr.trim(), status });
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Sends stdin one frame at a time, each after the previous reached the socket; then half-closes. */
async function pumpStdin(socket: WebSocket, stdin: Readable): Promise<void> {
  for await (const chunk of stdin) {
    if (socket.readyState !== WebSocket.OPEN) return;
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    await send(socket, Buffer.concat([Buffer.from([STDIN]), data]));
  }
  if (socket.readyState === WebSocket.OPEN) await send(socket, Buffer.from([CLOSE, STDIN]));
}

function send(socket: WebSocket, frame: Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.send(frame, { binary: true }, (error) => (error ? reject(error) : resolve())));
}
