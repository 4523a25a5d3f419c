/**
 * Follows one container's log (`follow=true&timestamps=true`) and keeps following across dropped
 * and stalled streams: each reconnect asks for `sinceTime` and the LogReplay drops what was
 * already delivered. The follower finishes when a stream ends after the container terminated,
 * so every line is read before the pod may be deleted. Kubernetes merges stdout and stderr in
 * the log, so every line is reported as stdout. Lines and their stamps are read by kubelet-log.ts;
 * a line longer than MAX_LINE_BYTES is kept as several.
 */
import type { IncomingMessage } from 'node:http';
import { MAX_LINE_BYTES } from '../line-splitter.ts';
import { hasCode } from '../../shared/errors.ts';
import type { LogCursor, LogEntry } from '../contract.ts';
import type { KubeClient } from './client.ts';
import { LogReplay } from '../log-replay.ts';
import { KubeletLogParser } from './kubelet-log.ts';

export interface LogFollowerOptions {
  client: KubeClient;
  namespace: string;
  pod: string;
  container: string;
  /** Where a previous process stopped (resume). */
  cursor?: LogCursor;
  onLine(entry: LogEntry): void;
  /** A line longer than MAX_LINE_BYTES is being cut into several. */
  onLongLine(): void;
  /** No data for this long while the container runs: reconnect. */
  stallMs: number;
  /** How long a stream may stay open after the container ended before it is reopened. */
  endGraceMs: number;
  containerDone(): boolean;
}

const RETRY_MS = 300;
const DONE_GRACE_MS = 1_500;

export class LogFollower {
  /** Log requests made, for the request-budget tests. */
  requests = 0;
  private readonly options: LogFollowerOptions;
  private readonly replay: LogReplay;
  private readonly abort = new AbortController();
  private current: IncomingMessage | undefined;
  private endTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(options: LogFollowerOptions) {
    this.options = options;
    this.replay = new LogReplay(options.cursor);
  }

  start(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** The container terminated: the open stream must end soon, or it is reopened to read the rest. */
  containerEnded(): void {
    if (this.endTimer || this.stopped) return;
    this.endTimer = setTimeout(() => this.current?.destroy(new Error('log stream still open after the container ended')), this.options.endGraceMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.endTimer);
    this.abort.abort();
    this.current?.destroy();
  }

  cursor(): LogCursor | undefined {
    return this.replay.cursor();
  }

  private path(since: string | undefined): string {
    const { namespace, pod, container } = this.options;
    return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log?container=${encodeURIComponent(container)}`
      + `&follow=true&timestamps=true${since ? `&sinceTime=${encodeURIComponent(since)}` : ''}`;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const doneAtOpen = this.options.containerDone();
      let response: IncomingMessage;
      const since = this.replay.startRead();
      try {
        this.requests++;
        response = await this.options.client.get(
          this.path(since),
          { verb: 'get', resource: 'pods/log', namespace: this.options.namespace, name: this.options.pod },
          this.abort.signal,
        );
      } catch (error) {
        if (this.stopped) return;
        if (hasCode(error, 'KUBE_FORBIDDEN', 'KUBE_UNAUTHORIZED')) throw error;
        // Pod gone: nothing more to read.
        if (hasCode(error, 'KUBE_NOT_FOUND')) return;
        // 400 "is waiting to start", a restarting API server: try again shortly.
        await delay(RETRY_MS);
        continue;
      }
      const endedCleanly = await this.consume(response, doneAtOpen, since !== undefined);
      if (this.stopped) return;
      // Only a stream opened after the container ended is known to hold its last lines: a follow
      // stream that ends as the container stops may not have relayed them yet (Docker's json-file
      // follower does this under load). So when the container is seen done, read once more from the
      // cursor; the informer may learn of the end a moment after the stream closes.
      if (endedCleanly && doneAtOpen) return;
      if (endedCleanly) await this.becomesDone(DONE_GRACE_MS);
      else await delay(50);
    }
  }

  private async becomesDone(graceMs: number): Promise<boolean> {
    const deadline = Date.now() + graceMs;
    while (!this.options.containerDone()) {
      if (this.stopped || Date.now() >= deadline) return false;
      await delay(25);
    }
    return true;
  }

  /**
   * Delivers the stream's new lines; true when the server ended it, false when it broke or stalled.
   * A read from `sinceTime` can begin with the unstamped tail of a line whose first record is older
   * than it (kubelet-log.ts): that line was delivered whole by an earlier read, so it is dropped.
   */
  private consume(response: IncomingMessage, doneAtOpen: boolean, fromSince: boolean): Promise<boolean> {
    this.current = response;
    return new Promise<boolean>((resolve) => {
      let stall: NodeJS.Timeout | undefined;
      let settled = false;
      const armStall = (): void => {
        clearTimeout(stall);
        stall = setTimeout(() => response.destroy(new Error('log stream stalled')), doneAtOpen ? this.options.endGraceMs : this.options.stallMs);
      };
      let mayStartInsideALine = fromSince;
      const parser = new KubeletLogParser({
        maxLineBytes: MAX_LINE_BYTES,
        onLine: (line, timestamp, cutStarts) => {
          if (timestamp === undefined && mayStartInsideALine) return;
          mayStartInsideALine = false;
          if (timestamp !== undefined && !this.replay.accept(timestamp)) return;
          if (cutStarts) this.options.onLongLine();
          this.options.onLine({ stream: 'stdout', line, timestamp: timestamp ?? new Date().toISOString() });
        },
      });
      const finish = (clean: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(stall);
        if (this.current === response) this.current = undefined;
        // A partial last line is only complete when the server ended the stream.
        if (clean) parser.end();
        resolve(clean);
      };
      armStall();
      response.on('data', (chunk: Buffer) => {
        armStall();
        parser.push(chunk);
      });
      response.on('end', () => finish(true));
      response.on('error', () => finish(false));
      response.on('close', () => finish(!response.errored && response.complete));
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
