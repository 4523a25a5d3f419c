/**
 * Fault injection for tests: requests that fail or stall, log and watch streams cut mid-flight.
 * The HTTP layer consults `beforeRequest`; streams register here so they can be cut.
 */
import type { Socket } from 'node:net';

export interface StreamHandle {
  kind: 'log' | 'watch';
  namespace?: string;
  pod?: string;
  container?: string;
  /** Destroys the connection without a proper end, as a dropped TCP connection would. */
  cut(): void;
  /** Bytes written to the client so far. */
  bytes: number;
}

interface ArmedLogCut {
  namespace: string;
  pod: string;
  container?: string;
  afterBytes: number;
  remaining: number;
  /** End the response properly instead of dropping the connection. */
  clean: boolean;
}

interface Failure {
  key: string;
  remaining: number;
  mode: 'error' | 'reset';
}

interface Delay {
  key: string;
  ms: number;
  remaining: number;
}

export type RequestFault = { action: 'error' } | { action: 'reset' } | { action: 'delay'; ms: number };

function keyMatches(pattern: string, key: string): boolean {
  return pattern === '*' || pattern === key;
}

export class FaultRegistry {
  private readonly streams = new Set<StreamHandle & { armedAt: Map<ArmedLogCut, number> }>();
  private readonly armedLogCuts: ArmedLogCut[] = [];
  private readonly failures: Failure[] = [];
  private readonly delays: Delay[] = [];

  /** The next `count` requests matching `key` (`create pods`, `get pods/log`, `*`) fail with 500 or a reset connection. */
  failNext(key: string, count = 1, mode: 'error' | 'reset' = 'error'): void {
    this.failures.push({ key, remaining: count, mode });
  }

  /** Delays the next `count` (default: all) requests matching `key` by `ms` before they are handled. */
  delay(key: string, ms: number, count = Number.POSITIVE_INFINITY): void {
    this.delays.push({ key, ms, remaining: count });
  }

  clearRequestFaults(): void {
    this.failures.length = 0;
    this.delays.length = 0;
  }

  /** What to do with a request before handling it; consumes one use of the matching fault. */
  beforeRequest(key: string): RequestFault[] {
    const faults: RequestFault[] = [];
    const delay = this.delays.find((d) => d.remaining > 0 && keyMatches(d.key, key));
    if (delay) {
      delay.remaining--;
      faults.push({ action: 'delay', ms: delay.ms });
    }
    const failure = this.failures.find((f) => f.remaining > 0 && keyMatches(f.key, key));
    if (failure) {
      failure.remaining--;
      faults.push({ action: failure.mode });
    }
    return faults;
  }

  /**
   * Cuts log streams of a pod (one container, or all). Without `afterBytes`, cuts the open ones now
   * and returns how many. With it, the next stream to send `afterBytes` more bytes (open now or
   * opened later) is cut once that many bytes went out; `times` such cuts (default 1). `clean` ends
   * the response properly at that point, as Docker sometimes ends a follow stream when the container
   * stops before relaying its last lines; otherwise the connection is dropped.
   */
  cutLogStreams(target: { namespace: string; pod: string; container?: string; afterBytes?: number; times?: number; clean?: boolean }): number {
    if (target.afterBytes === undefined) {
      const open = [...this.streams].filter((s) => s.kind === 'log' && s.namespace === target.namespace && s.pod === target.pod && (!target.container || s.container === target.container));
      for (const stream of open) stream.cut();
      return open.length;
    }
    const armed: ArmedLogCut = { namespace: target.namespace, pod: target.pod, container: target.container, afterBytes: target.afterBytes, remaining: target.times ?? 1, clean: target.clean ?? false };
    this.armedLogCuts.push(armed);
    for (const stream of this.streams) if (this.armedMatches(armed, stream)) stream.armedAt.set(armed, stream.bytes);
    return 0;
  }

  /** Cuts every open watch stream; returns how many. */
  cutWatches(): number {
    const open = [...this.streams].filter((s) => s.kind === 'watch');
    for (const stream of open) stream.cut();
    return open.length;
  }

  /** Registers a stream; the returned function reports bytes written and says whether (and how) to cut now. */
  register(handle: StreamHandle): { wrote(bytes: number): 'abrupt' | 'clean' | undefined; close(): void } {
    const entry = Object.assign(handle, { armedAt: new Map<ArmedLogCut, number>() });
    for (const armed of this.armedLogCuts) if (armed.remaining > 0 && this.armedMatches(armed, entry)) entry.armedAt.set(armed, entry.bytes);
    this.streams.add(entry);
    return {
      wrote: (bytes: number) => {
        entry.bytes += bytes;
        for (const [armed, start] of entry.armedAt) {
          if (armed.remaining > 0 && entry.bytes - start >= armed.afterBytes) {
            armed.remaining--;
            entry.armedAt.clear();
            return armed.clean ? 'clean' : 'abrupt';
          }
        }
        return undefined;
      },
      close: () => {
        this.streams.delete(entry);
      },
    };
  }

  private armedMatches(armed: ArmedLogCut, stream: StreamHandle): boolean {
    return stream.kind === 'log' && stream.namespace === armed.namespace && stream.pod === armed.pod && (!armed.container || stream.container === armed.container);
  }
}

/** Destroys a socket abruptly (RST where possible), as a network failure would. */
export function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    // A TLS socket has no TCP handle of its own to reset (ERR_INVALID_HANDLE_TYPE): close it at once.
    socket.destroy();
  }
}
