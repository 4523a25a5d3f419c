/**
 * pods/exec over WebSocket (remotecommand v5/v4/v1 channel protocols) backed by `docker exec`:
 * channel 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close (v5). The checks a real
 * apiserver makes before the upgrade answer as plain HTTP Status errors.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { queryFlag, type RequestInfo, type SimContext } from './context.ts';
import { FrameParser } from './kubelet/demux.ts';
import { chooseContainer } from './log.ts';
import { ApiError, badRequest, notFound } from './status-errors.ts';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'];

/** The subprotocol the server picks from the client's offer (v5 first, as a ≥1.30 apiserver). */
export function chooseProtocol(offered: Set<string>): string | false {
  for (const protocol of EXEC_PROTOCOLS) if (offered.has(protocol)) return protocol;
  return false;
}

export interface ExecRequest {
  containerName: string;
  dockerId: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Everything the apiserver checks before upgrading; throws ApiError with the real message. */
export function prepareExec(ctx: SimContext, info: RequestInfo): ExecRequest | { notRunning: string } {
  const pod = ctx.store.get(info.namespace!, info.name!);
  if (!pod) throw new ApiError(notFound('pods', info.name!));
  const container = chooseContainer(pod, info.query.get('container'));
  if (!pod.spec.nodeName) throw new ApiError(badRequest(`pod ${pod.metadata.name} does not have a host assigned`));
  if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') {
    throw new ApiError(badRequest(`cannot exec into a container in a completed pod; current phase is ${pod.status.phase}`));
  }
  const command = info.query.getAll('command');
  const stdin = queryFlag(info.query, 'stdin');
  const stdout = queryFlag(info.query, 'stdout');
  const stderr = queryFlag(info.query, 'stderr');
  const tty = queryFlag(info.query, 'tty');
  if (!stdin && !stdout && !stderr) throw new ApiError(badRequest('you must specify at least 1 of stdin, stdout, stderr'));
  if (command.length === 0) throw new ApiError(badRequest('you must specify at least one command for the container'));
  const dockerId = ctx.kubelet.containerId(pod, container.name);
  const running = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].find((s) => s.name === container.name)?.state.running;
  if (!dockerId || !running) return { notRunning: `unable to upgrade connection: container not found ("${container.name}")` };
  return { containerName: container.name, dockerId, command, stdin, stdout, stderr: tty ? false : stderr, tty };
}

function statusFrame(payload: unknown): Buffer {
  return Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(payload))]);
}

function exitStatus(protocol: string, command: string[], exitCode: number): unknown {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  const inner = protocol === 'v5.channel.k8s.io'
    ? `command terminated with exit code ${exitCode}`
    : `error executing command [${command.join(' ')}], exit code ${exitCode}`;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${inner}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

function internalErrorStatus(message: string): unknown {
  return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 };
}

/** Completes the upgrade and runs the session; resolves when the socket is closed. */
export function runExecSession(ctx: SimContext, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, prepared: ExecRequest | { notRunning: string }): void {
  wss.handleUpgrade(req, socket, head, (ws) => {
    ctx.stats.execOpened();
    ws.on('close', () => ctx.stats.execClosed());
    const protocol = ws.protocol || 'channel.k8s.io';
    ws.send(Buffer.from([1]));
    if ('notRunning' in prepared) {
      sendFinal(ws, protocol, internalErrorStatus(prepared.notRunning), prepared.notRunning);
      return;
    }
    // Clients send stdin (and the v5 close) right after the upgrade: keep it until docker exec is attached.
    const early: Array<{ data: Buffer; isBinary: boolean }> = [];
    const keep = (data: Buffer, isBinary: boolean) => early.push({ data, isBinary });
    ws.on('message', keep);
    void session(ctx, ws, protocol, prepared, () => {
      ws.off('message', keep);
      return early;
    }).catch((error: Error) => sendFinal(ws, protocol, internalErrorStatus(error.message), error.message));
  });
}

function sendFinal(ws: WebSocket, protocol: string, status: unknown, plain: string | undefined): void {
  if (ws.readyState !== ws.OPEN) return;
  if (protocol === 'channel.k8s.io') {
    if (plain) ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(plain)]));
  } else {
    ws.send(statusFrame(status));
  }
  ws.close(1000);
}

async function session(ctx: SimContext, ws: WebSocket, protocol: string, request: ExecRequest, takeEarly: () => Array<{ data: Buffer; isBinary: boolean }>): Promise<void> {
  const docker = ctx.kubelet.docker;
  const exec = await docker.getContainer(request.dockerId).exec({
    Cmd: request.command,
    AttachStdin: request.stdin,
    AttachStdout: request.stdout,
    AttachStderr: request.stderr,
    Tty: request.tty,
  });
  const stream = (await exec.start({ hijack: true, stdin: request.stdin, Tty: request.tty })) as Duplex;
  const parser = new FrameParser();
  let clientGone = false;

  const onMessage = (data: Buffer, isBinary: boolean) => {
    const frame = isBinary ? data : Buffer.from(data.toString(), 'utf8');
    if (frame.length === 0) return;
    const channel = frame[0];
    const payload = frame.subarray(1);
    if (channel === 0 && request.stdin) {
      if (payload.length) stream.write(payload);
    } else if (channel === 4 && request.tty) {
      try {
        const size = JSON.parse(payload.toString()) as Record<string, number>;
        const lower = Object.fromEntries(Object.entries(size).map(([k, v]) => [k.toLowerCase(), v]));
        void exec.resize({ h: lower.height, w: lower.width }).catch(() => undefined);
      } catch {
        // A malformed resize is ignored, as the kubelet does.
      }
    } else if (channel === 255 && protocol === 'v5.channel.k8s.io' && payload[0] === 0 && request.stdin) {
      stream.end();
    }
  };
  for (const message of takeEarly()) onMessage(message.data, message.isBinary);
  ws.on('message', onMessage);
  ws.on('close', () => {
    clientGone = true;
    stream.destroy();
  });

  stream.on('data', (chunk: Buffer) => {
    if (clientGone) return;
    if (request.tty) {
      ws.send(Buffer.concat([Buffer.from([1]), chunk]));
      return;
    }
    for (const frame of parser.push(chunk)) {
      if (frame.stream === 1 || frame.stream === 2) ws.send(Buffer.concat([Buffer.from([frame.stream]), frame.payload]));
    }
  });
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  if (clientGone) return;
  let exitCode: number | null = null;
  for (let i = 0; i < 100; i++) {
    const inspected = await exec.inspect();
    if (!inspected.Running) {
      exitCode = inspected.ExitCode ?? 0;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (exitCode === null) {
    sendFinal(ws, protocol, internalErrorStatus('the exec session ended without an exit code'), 'the exec session ended without an exit code');
    return;
  }
  const status = exitStatus(protocol, request.command, exitCode);
  sendFinal(ws, protocol, status, exitCode === 0 ? undefined : `command terminated with non-zero exit code: error executing command [${request.command.join(' ')}], exit code ${exitCode}`);
}
