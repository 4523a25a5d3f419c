/**
 * What the runner contract suite needs from a backend: how to make its runner (in this process
 * and in a child that the resume tests SIGKILL), what a job needs to run there, and how to find
 * what a job left behind.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { RunnerJob, TaskRunner } from '../../../src/runners/contract.ts';

/** Every job's environment holds this variable with a value of its own: its processes can be found by it. */
export const MARKER = 'HARRIER_CONTRACT_MARKER';

/** A runner factory that a child process can import too: module URL, export name, one JSON argument. */
export interface RunnerSpec {
  module: string;
  factory: string;
  options?: unknown;
}

export interface ContractBackend {
  runner: RunnerSpec;
  /** Image of the task; must hold busybox's `sh`, `sleep`, `seq`, `cat`, `mkdir`, `printf`. */
  containerImage?: string;
  /** The job's `taskRunner` properties on this backend (connection, namespace, pull policy...). */
  properties: Record<string, unknown>;
  /** False when the backend's log is one merged stream, as the Kubernetes log API is. */
  separatesStreams: boolean;
  /** What this job left behind: processes on this machine (`localProcesses`), containers, volumes, pods. */
  leftovers(job: RunnerJob): Promise<string[]>;
  /** Removes what this job left, as someone other than the runner would (docker rm, kubectl delete). */
  removeLeftovers(job: RunnerJob): Promise<void>;
  close(): Promise<void>;
}

/** The backend cannot run here; the reason is printed and every test skips. */
export interface Unavailable {
  unavailable: string;
}

export async function createRunner(spec: RunnerSpec): Promise<TaskRunner> {
  const module = (await import(spec.module)) as Record<string, (options?: unknown) => TaskRunner>;
  const factory = module[spec.factory];
  if (typeof factory !== 'function') throw new Error(`${spec.module} exports no runner factory '${spec.factory}'`);
  return factory(spec.options);
}

/**
 * Processes whose environment holds this job's marker and that can still run: not a zombie, and
 * no SIGKILL pending (the kernel delivers a signal a moment after kill() returns; such a process
 * is already as good as gone).
 */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`${MARKER}=${marker}`)) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'latin1');
      if (/^State:\s+[ZX]/m.test(status) || killPending(status)) continue;
      found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

const SIGKILL_BIT = 1n << 8n;

function killPending(status: string): boolean {
  return [...status.matchAll(/^(?:SigPnd|ShdPnd):\s+([0-9a-f]+)$/gm)].some((match) => (BigInt(`0x${match[1]}`) & SIGKILL_BIT) !== 0n);
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return '?';
  }
}

/** Ends the job's processes on this machine, found by their marker. */
export function killLocalProcesses(job: RunnerJob): void {
  for (const pid of processesWith(job.env[MARKER])) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

/** The job's live processes on this machine, described. */
export function localProcesses(job: RunnerJob): string[] {
  return processesWith(job.env[MARKER]).map((pid) => `process ${pid} (${commandOf(pid)})`);
}
