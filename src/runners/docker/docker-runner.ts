/**
 * Runs a task in a container on a Docker engine, with Kestra's Docker runner behaviour, and
 * re-attaches to that container after the harrier process died (resume).
 */
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { EngineContainer } from './engine-api.ts';
import { RunnerError, TaskFailedError } from '../../shared/errors.ts';
import { isDetached, type LogCursor, type ResumeHandle, type RunnerJob, type RunnerResult, type TaskRunner } from '../contract.ts';
import { containerHandle, containerReference, releaseContainer } from './release.ts';
import { pipeline } from 'node:stream';
import { countingStream } from '../shared/byte-count.ts';
import { packDirectory } from '../shared/tar.ts';
import { skippedOutputNotice } from '../shared/unsafe-output.ts';
import { checkGates, containerCreateOptions, gatesFromEnv, identityLabels, resourceName } from './container-spec.ts';
import { type DockerClient, connectDocker, dockerError, statusOf } from './docker-client.ts';
import { ensureImage, parseImageReference, registryAuth, withDefaultTag } from './image.ts';
import { DockerLogDecoder, type DockerLogSink } from './logs.ts';
import { longLineNotice } from '../line-splitter.ts';
import { LogReplay, epochSecondOf } from '../log-replay.ts';
import { collectOutputs, outputFolderUntouched } from './outputs.ts';
import { formatBytes } from '../../shared/bytes.ts';
import { type DockerProperties, parseDockerProperties } from './properties.ts';

/** How long the log stream may lag behind the container's exit before it is read again without following. */
const LOG_DRAIN_GRACE_MS = 5_000;
const SIGKILL_EXIT = 137;
/** How long an `oom` event may trail the exit. */
const OOM_EVENT_GRACE_S = 2;

export class DockerRunner implements TaskRunner {
  readonly kind = 'docker';

  /** The container sees the working directory at the same absolute path as the host. */
  workingDirFor(hostWorkingDir: string): string {
    return resolve(hostWorkingDir);
  }

  async run(given: RunnerJob): Promise<RunnerResult> {
    given.signal.throwIfAborted();
    // Container paths must be absolute: the same path on both sides.
    const job = { ...given, hostWorkingDir: resolve(given.hostWorkingDir) };
    const properties = parseDockerProperties(job.properties);
    checkGates(properties, gatesFromEnv());
    const attempt = new ContainerAttempt(connectDocker(properties.host), job, properties);
    return job.resume ? attempt.reattach(job.resume.handle, job.resume.logCursor) : attempt.start();
  }

  release(handle: ResumeHandle): Promise<void> {
    return releaseContainer(handle);
  }
}

/** One attempt of one task in one container: create or re-attach, follow, collect; `release` removes it. */
class ContainerAttempt {
  private readonly client: DockerClient;
  private readonly job: RunnerJob;
  private readonly properties: DockerProperties;
  private container?: EngineContainer;
  private containerName?: string;
  private volumeName?: string;
  private logStream?: Readable;
  /** The task keeps its container (`delete: false`, or `wait: false` once started). */
  private keep: boolean;

  constructor(client: DockerClient, job: RunnerJob, properties: DockerProperties) {
    this.client = client;
    this.job = job;
    this.properties = properties;
    this.keep = !properties.delete;
  }

  async start(): Promise<RunnerResult> {
    const { job, properties } = this;
    if (!job.containerImage) {
      throw new RunnerError(`Docker runner: task ${job.identity.taskId} has no containerImage`, {
        code: 'IMAGE_INVALID',
        hint: 'set containerImage on the task, e.g. containerImage: python:3.12-slim',
      });
    }
    const reference = parseImageReference(job.containerImage);
    const image = withDefaultTag(job.containerImage, reference);
    try {
      await this.abortable(
        ensureImage(this.client, image, {
          policy: properties.pullPolicy,
          auth: registryAuth(properties, reference),
          signal: job.signal,
          notice: job.notice,
          pulling: () => job.progress?.({ kind: 'phase', phase: 'Pending', reason: 'pulling image' }),
        }),
      );
      const name = resourceName(job.identity);
      this.containerName = name;
      if (properties.fileHandlingStrategy === 'VOLUME') this.volumeName = name;
      // Saved before anything exists, so that a process killed while creating leaves a handle
      // that names what it may have made: a resume then finds it by name, or removes it.
      await job.saveResumeHandle(this.handle());
      this.throwIfAborted();
      if (this.volumeName) {
        await this.call('creating the working-directory volume', () =>
          this.client.docker.createVolume({ Name: name, Labels: identityLabels(job.identity) }),
        );
      }
      this.throwIfAborted();
      job.progress?.({ kind: 'phase', phase: 'Pending', reason: 'creating the container' });
      const created = await this.call('creating the container', () =>
        this.client.docker.createContainer(containerCreateOptions(job, properties, { name, image, volumeName: this.volumeName })),
      );
      this.container = created;
      await job.saveResumeHandle(this.handle());
      this.throwIfAborted();
      return await this.launchAndFinish();
    } catch (error) {
      return this.fail(error);
    }
  }

  async reattach(handle: ResumeHandle, logCursor: LogCursor | undefined): Promise<RunnerResult> {
    const { job } = this;
    // A handle saved before the container was created names it only.
    const reference = containerReference(handle);
    if (!reference) throw new RunnerError('Docker runner: the saved resume handle names no container; the attempt cannot be resumed', { code: 'RUNNER_RESUME_FAILED' });
    this.container = this.client.docker.getContainer(reference);
    this.volumeName = typeof handle.volume === 'string' ? handle.volume : undefined;
    this.keep ||= handle.keep === true;
    try {
      let info: Docker.ContainerInspectInfo;
      try {
        info = await this.container.inspect();
      } catch (error) {
        if (statusOf(error) === 404) {
          this.container = undefined;
          // Its volume, if it was made, is removed by release with the rest of the attempt.
          // The handle names the container's id only once it was created.
          if (typeof handle.containerId !== 'string') {
            throw new RunnerError(`interrupted: harrier stopped before container ${reference} of this attempt was created`, { code: 'ATTEMPT_NEVER_STARTED' });
          }
          throw new RunnerError(`container ${reference.slice(0, 12)} of this attempt is gone from ${this.client.host}: it was removed outside harrier`, {
            code: 'ATTEMPT_GONE',
            hint: 'check who removes containers on this engine (docker rm, a cleanup job); a retry policy on the task runs it again',
          });
        }
        throw dockerError(this.client, 'inspecting the container', error);
      }
      this.containerName = info.Name.replace(/^\//, '');
      job.notice('INFO', `re-attached to container ${this.describeContainer()} (${info.State.Status})`);
      if (info.State.Status === 'created') {
        // Never started, so nothing ran: it is filled and started here, unless it was made for
        // another working directory (a worker on another machine took the attempt over), whose
        // files this process does not have: the attempt never started, and a new one runs.
        if (info.Config.WorkingDir !== resolve(job.hostWorkingDir)) {
          throw new RunnerError(`interrupted: harrier stopped before container ${this.describeContainer()} of this attempt was started, and it was made for another working directory (${info.Config.WorkingDir})`, { code: 'ATTEMPT_NEVER_STARTED' });
        }
        return await this.launchAndFinish();
      }
      return await this.followAndFinish(logCursor);
    } catch (error) {
      return this.fail(error);
    }
  }

  private async launchAndFinish(): Promise<RunnerResult> {
    const container = this.container!;
    if (this.volumeName) {
      const files = pipeline(packDirectory(this.job.hostWorkingDir),
        countingStream((bytes, done) => this.job.progress?.({ kind: 'transfer', direction: 'upload', bytes, done })), () => undefined);
      await this.call('copying the working directory into the volume', () =>
        container.putArchive(files, { path: this.job.hostWorkingDir, abortSignal: this.job.signal }),
      );
    }
    this.throwIfAborted();
    await this.call('starting the container', () => container.start());
    this.job.progress?.({ kind: 'phase', phase: 'Running' });
    if (!this.properties.wait) {
      this.keep = true;
      await this.job.saveResumeHandle(this.handle());
      this.job.notice('INFO', `container ${this.describeContainer()} started; not waiting for it (wait: false), it is left running`);
      return { exitCode: 0, details: { containerId: container.id } };
    }
    return this.followAndFinish(undefined);
  }

  /** Streams the logs until the container exits, then collects outputs; the container stays for release. */
  private async followAndFinish(logCursor: LogCursor | undefined): Promise<RunnerResult> {
    const container = this.container!;
    const replay = new LogReplay(logCursor);
    const emitNew: DockerLogSink = (entry, cutStarts) => {
      if (!replay.accept(entry.timestamp)) return;
      if (cutStarts) this.job.notice('WARN', longLineNotice(`the container's ${entry.stream}`));
      this.job.log(entry);
    };
    const following = this.readLogs(container, replay.startRead(), emitNew).catch(() => false);
    const exit = await this.abortable(this.call('waiting for the container', () => container.wait()));
    const drained = await this.abortable(
      Promise.race([following, new Promise<boolean>((resolve) => setTimeout(resolve, LOG_DRAIN_GRACE_MS, false).unref())]),
    );
    if (!drained) {
      this.logStream?.destroy();
      await following;
    }
    // A follow can end a moment before the daemon wrote the last lines (a final line without
    // newline especially): read the end of the log once more and emit only what was missed.
    // Following a stopped container streams what is there and ends: no whole-log buffer.
    await this.readLogs(container, replay.startRead(), emitNew);
    const info = await this.call('inspecting the finished container', () => container.inspect());
    const exitCode = typeof exit?.StatusCode === 'number' ? exit.StatusCode : info.State.ExitCode;
    const outOfMemory = info.State.OOMKilled || (exitCode === SIGKILL_EXIT && Boolean(info.HostConfig.Memory) && (await this.oomEventSeen(container, info)));
    await this.collect();
    this.noticeKept();
    if (outOfMemory && exitCode !== 0) {
      const limit = info.HostConfig.Memory ? `limit ${formatBytes(info.HostConfig.Memory)}` : 'no memory limit set';
      throw new TaskFailedError(`Docker runner: task ${this.job.identity.taskId} ran out of memory (${limit}) and was killed`, {
        code: 'OOM_KILLED',
        hint: 'raise taskRunner.memory.memory or make the task use less memory',
        exitCode,
      });
    }
    return { exitCode, details: { containerId: container.id } };
  }

  /**
   * The daemon learns of an OOM kill from a separate event, which can arrive after the exit; then
   * `State.OOMKilled` stays false but the `oom` event is in the daemon's event log. Asked only for
   * a SIGKILLed container that had a memory limit.
   */
  private async oomEventSeen(container: EngineContainer, info: Docker.ContainerInspectInfo): Promise<boolean> {
    const since = Math.floor(Date.parse(info.State.StartedAt) / 1000) || Math.floor(Date.now() / 1000) - 3600;
    const until = Math.ceil(Date.now() / 1000) + OOM_EVENT_GRACE_S;
    const stream = (await this.call('reading the engine events', () =>
      this.client.docker.getEvents({ since, until, filters: { container: [container.id], event: ['oom'] } }),
    )) as Readable;
    return new Promise((resolve) => {
      let seen = false;
      stream.on('data', () => {
        seen = true;
        stream.destroy();
      });
      stream.on('close', () => resolve(seen));
      stream.on('end', () => resolve(seen));
      stream.on('error', () => resolve(seen));
    });
  }

  /**
   * Follows the log from `since` (whole-second RFC 3339, or the start). Resolves true when the
   * stream ended cleanly, false when it broke (its unfinished lines are then dropped).
   */
  private async readLogs(container: EngineContainer, since: string | undefined, emit: DockerLogSink): Promise<boolean> {
    const sinceSecond = since === undefined ? undefined : epochSecondOf(since);
    const stream = (await this.call('reading the container logs', () =>
      container.logs({ follow: true, stdout: true, stderr: true, timestamps: true, ...(sinceSecond !== undefined ? { since: sinceSecond } : {}) }),
    )) as Readable;
    this.logStream = stream;
    return decodeStream(stream, emit);
  }

  private async collect(): Promise<void> {
    if (!this.volumeName || !this.container) return;
    const { job } = this;
    const container = this.container;
    await this.call('copying output files back', async () => {
      const nothingToCollect =
        job.outputGlobs.length === 0 && (await outputFolderUntouched(container, job.hostWorkingDir, job.hostWorkingDir, job.outputDirName));
      if (!nothingToCollect) {
        await collectOutputs(container, job.hostWorkingDir, job.hostWorkingDir, job.outputGlobs, job.outputDirName, (skipped) => job.notice('WARN', skippedOutputNotice(skipped)));
      }
    });
  }

  /** After an error or an abort: stop the container (release removes it) and rethrow (the abort reason when aborted). */
  private async fail(error: unknown): Promise<never> {
    const aborted = this.job.signal.aborted;
    this.logStream?.destroy();
    // Handed over: the container and its volume now belong to the process that re-attaches to them.
    if (isDetached(this.job.signal)) throw this.job.signal.reason;
    if (this.container) {
      await this.container.kill().catch(() => undefined);
      this.noticeKept();
    }
    if (aborted) throw this.job.signal.reason;
    throw error instanceof RunnerError || error instanceof TaskFailedError ? error : dockerError(this.client, 'running the container', error);
  }

  private noticeKept(): void {
    if (!this.keep || !this.container) return;
    const volume = this.volumeName ? ` and volume ${this.volumeName}` : '';
    this.job.notice('INFO', `container ${this.describeContainer()}${volume} kept (delete: false)`);
  }

  private handle(): ResumeHandle {
    return containerHandle({
      host: this.client.host, containerId: this.container?.id, volume: this.volumeName, containerName: this.containerName, keep: this.keep || undefined,
    });
  }

  private describeContainer(): string {
    const id = this.container?.id.slice(0, 12) ?? '?';
    return this.containerName ? `${this.containerName} (${id})` : id;
  }

  private throwIfAborted(): void {
    if (this.job.signal.aborted) throw this.job.signal.reason;
  }

  /** Rejects as soon as the job is aborted, whatever the daemon is still doing. */
  private abortable<T>(promise: Promise<T>): Promise<T> {
    const { signal } = this.job;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  private async call<T>(doing: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (this.job.signal.aborted) throw this.job.signal.reason;
      throw dockerError(this.client, doing, error);
    }
  }
}

function decodeStream(stream: Readable, emit: DockerLogSink): Promise<boolean> {
  return new Promise((resolve) => {
    const decoder = new DockerLogDecoder(emit);
    let settled = false;
    stream.on('data', (chunk: Buffer) => decoder.push(chunk));
    stream.on('end', () => {
      if (settled) return;
      settled = true;
      decoder.end();
      resolve(true);
    });
    const broken = (): void => {
      if (settled) return;
      settled = true;
      resolve(false);
    };
    stream.on('close', broken);
    stream.on('error', broken);
  });
}
