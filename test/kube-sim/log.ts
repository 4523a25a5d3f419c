/**
 * pods/log: the apiserver's checks (container choice, unscheduled pod) and the kubelet's
 * (container waiting, previous instance), then Docker's log stream reformatted: timestamps in the
 * kubelet's fixed-width RFC3339Nano, sinceTime cut to whole seconds, tailLines, limitBytes, follow.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { epochSeconds, fixedNano } from './clock.ts';
import { queryFlag, queryInt, type RequestInfo, type SimContext } from './context.ts';
import { FrameParser } from './kubelet/demux.ts';
import { ApiError, badRequest, notFound } from './status-errors.ts';
import type { Container, ContainerStatus, Pod } from './types.ts';

export function allContainerNames(pod: Pod): { init: string[]; main: string[] } {
  return { init: (pod.spec.initContainers ?? []).map((c) => c.name), main: pod.spec.containers.map((c) => c.name) };
}

/** The apiserver's choice of container (pkg/registry/core/pod/strategy.go validateContainer). */
export function chooseContainer(pod: Pod, requested: string | null): Container {
  const name = pod.metadata.name;
  const { init, main } = allContainerNames(pod);
  if (!requested) {
    if (pod.spec.containers.length === 1 && init.length === 0) return pod.spec.containers[0];
    if (pod.spec.containers.length === 1 && init.length > 0) return pod.spec.containers[0];
    const initPart = init.length ? ` or one of the init containers: [${init.join(' ')}]` : '';
    throw new ApiError(badRequest(`a container name must be specified for pod ${name}, choose one of: [${main.join(' ')}]${initPart}`));
  }
  const found = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === requested);
  if (!found) throw new ApiError(badRequest(`container ${requested} is not valid for pod ${name}`));
  return found;
}

/** kubelet validateContainerLogStatus: 400 messages for containers with nothing to show yet. */
export function logStatusError(pod: Pod, container: string, previous: boolean): string | undefined {
  const statuses: ContainerStatus[] = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])];
  const status = statuses.find((s) => s.name === container);
  const podName = pod.metadata.name;
  if (!status) return `container "${container}" in pod "${podName}" is not available`;
  const lastTerminated = status.lastState.terminated;
  if (previous) {
    if (!lastTerminated?.containerID) return `previous terminated container "${container}" in pod "${podName}" not found`;
    return undefined;
  }
  const waiting = status.state.waiting;
  if (waiting && !lastTerminated) {
    if (waiting.reason === 'ErrImagePull' || waiting.reason === 'ImagePullBackOff') {
      return `container "${container}" in pod "${podName}" is waiting to start: trying and failing to pull image`;
    }
    if (waiting.reason === 'InvalidImageName') return `container "${container}" in pod "${podName}" is waiting to start: image can't be pulled`;
    return `container "${container}" in pod "${podName}" is waiting to start: ${waiting.reason}`;
  }
  return undefined;
}

/** Docker's `since` takes seconds with a fraction; the kubelet keeps entries at or after it. */
function sinceParameter(query: URLSearchParams): number | undefined {
  const sinceSeconds = queryInt(query, 'sinceSeconds');
  if (sinceSeconds !== undefined) {
    if (sinceSeconds < 1) throw new ApiError(badRequest(`PodLogOptions "" is invalid: sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`));
    return Math.floor(Date.now() / 1000) - sinceSeconds;
  }
  const sinceTime = query.get('sinceTime');
  if (sinceTime) {
    const seconds = epochSeconds(sinceTime);
    if (Number.isNaN(seconds)) throw new ApiError(badRequest(`parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse`));
    // The apiserver formats sinceTime with time.RFC3339 on its way to the kubelet: whole seconds.
    return Math.floor(seconds);
  }
  return undefined;
}

export async function streamLog(ctx: SimContext, info: RequestInfo, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pod = ctx.store.get(info.namespace!, info.name!);
  if (!pod) throw new ApiError(notFound('pods', info.name!));
  const container = chooseContainer(pod, info.query.get('container'));
  const previous = queryFlag(info.query, 'previous');
  const follow = queryFlag(info.query, 'follow') && !previous;
  const timestamps = queryFlag(info.query, 'timestamps');
  const tailLines = queryInt(info.query, 'tailLines');
  const limitBytes = queryInt(info.query, 'limitBytes');
  const since = sinceParameter(info.query);
  if (!pod.spec.nodeName) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end();
    return;
  }
  const problem = logStatusError(pod, container.name, previous);
  if (problem) throw new ApiError(badRequest(problem));
  const id = ctx.kubelet.containerId(pod, container.name, previous);
  if (!id) throw new ApiError(badRequest(`container "${container.name}" in pod "${pod.metadata.name}" is not available`));

  let source: NodeJS.ReadableStream;
  try {
    const options = { stdout: true, stderr: true, timestamps: true, since: since ?? 0, ...(tailLines !== undefined && tailLines >= 0 ? { tail: tailLines } : {}) };
    const target = ctx.kubelet.docker.getContainer(id);
    source = follow ? await target.logs({ ...options, follow: true }) : bufferToStream(await target.logs({ ...options, follow: false }));
  } catch (error) {
    throw new ApiError(badRequest(`container "${container.name}" in pod "${pod.metadata.name}" is not available: ${(error as Error).message}`));
  }

  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  ctx.stats.logOpened();
  const parser = new FrameParser();
  let sent = 0;
  let done = false;
  const fault = ctx.faults.register({ kind: 'log', namespace: info.namespace, pod: info.name, container: container.name, bytes: 0, cut: () => finish(true) });

  function finish(abrupt: boolean): void {
    if (done) return;
    done = true;
    fault.close();
    ctx.stats.logClosed();
    (source as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    if (abrupt) req.socket.destroy();
    else res.end();
  }

  const emit = (text: string) => {
    if (done) return;
    let chunk = Buffer.from(text);
    if (limitBytes !== undefined && limitBytes > 0 && sent + chunk.length > limitBytes) chunk = chunk.subarray(0, limitBytes - sent);
    res.write(chunk);
    sent += chunk.length;
    const cut = fault.wrote(chunk.length);
    if (cut) finish(cut === 'abrupt');
    else if (limitBytes !== undefined && limitBytes > 0 && sent >= limitBytes) finish(false);
  };

  // The kubelet stamps only the first piece of a line: a piece that follows one without a newline
  // (a long line split by the runtime, or a last line without newline) continues it unstamped.
  let atLineStart = true;
  source.on('data', (data: Buffer) => {
    for (const frame of parser.push(data)) {
      const text = frame.payload.toString('utf8');
      // Docker: "<RFC3339Nano> <piece>"; a long line arrives in several frames, each stamped.
      const space = text.indexOf(' ');
      const stamp = text.slice(0, space);
      const piece = text.slice(space + 1);
      emit(timestamps && atLineStart ? `${fixedNano(stamp)} ${piece}` : piece);
      if (piece.length > 0) atLineStart = piece.endsWith('\n');
    }
  });
  source.on('end', () => finish(false));
  source.on('error', () => finish(true));
  res.on('close', () => finish(false));
}

function bufferToStream(data: Buffer | NodeJS.ReadableStream): NodeJS.ReadableStream {
  if (!Buffer.isBuffer(data)) return data;
  const stream = new PassThrough();
  stream.end(data);
  return stream;
}
