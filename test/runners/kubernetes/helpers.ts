/** Jobs, connections and log capture for the Kubernetes runner tests against the simulator. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { LogEntry, ResumeHandle, RunnerJob, TaskIdentity, TaskRunner } from '../../../src/runners/contract.ts';

/** The runner's `config` as the seeds write it, from a flattened kubeconfig. */
export function connectionFromKubeconfig(text: string): Record<string, string> {
  const doc = parse(text) as {
    clusters: { cluster: Record<string, string> }[];
    users: { user: Record<string, string> }[];
  };
  const cluster = doc.clusters[0].cluster;
  const user = doc.users[0].user;
  const config: Record<string, string> = { masterUrl: cluster.server, caCertData: cluster['certificate-authority-data'] };
  if (user['client-certificate-data']) config.clientCertData = user['client-certificate-data'];
  if (user['client-key-data']) config.clientKeyData = user['client-key-data'];
  if (user.token) config.oauthToken = user.token;
  return config;
}

let counter = 0;

export function identityFor(name: string): TaskIdentity {
  counter++;
  return {
    executionId: `exec${process.pid}x${counter}`,
    namespace: 'company.team',
    flowId: 'k8s_tests',
    taskId: name,
    taskRunId: `run${process.pid}x${counter}x${Date.now().toString(36)}`,
    attempt: 1,
  };
}

export interface Captured {
  lines: string[];
  entries: LogEntry[];
  notices: string[];
  handles: ResumeHandle[];
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `harrier-k8s-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function makeJob(options: {
  name: string;
  script: string;
  image: string;
  properties: Record<string, unknown>;
  hostWorkingDir: string;
  outputGlobs?: string[];
  signal?: AbortSignal;
  taskTimeoutMs?: number;
  identity?: TaskIdentity;
}): { job: RunnerJob; captured: Captured } {
  const captured: Captured = { lines: [], entries: [], notices: [], handles: [] };
  const job: RunnerJob = {
    identity: options.identity ?? identityFor(options.name),
    command: ['/bin/sh', '-c', options.script],
    env: { WORKING_DIR: '/kestra/working-dir', OUTPUT_DIR: '/kestra/working-dir/out' },
    hostWorkingDir: options.hostWorkingDir,
    outputDirName: 'out',
    outputGlobs: options.outputGlobs ?? [],
    containerImage: options.image,
    properties: options.properties,
    taskTimeoutMs: options.taskTimeoutMs,
    signal: options.signal ?? new AbortController().signal,
    log: (entry) => {
      captured.entries.push(entry);
      captured.lines.push(entry.line);
    },
    notice: (level, message) => {
      captured.notices.push(`${level} ${message}`);
      if (process.env.HARRIER_TEST_NOTICES) console.log(`NOTICE ${level} ${message}`);
    },
    saveResumeHandle: async (handle) => {
      captured.handles.push(handle);
    },
  };
  return { job, captured };
}

export async function waitUntil(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * What the engine does with an attempt: run() to its end, then release with the last handle the
 * runner saved, whatever the end. A failed release rejects, as a failed run() does.
 */
export async function runReleased<J extends ReleasableJob, Result>(run: (job: J) => Promise<Result>, release: TaskRunner['release'], job: J): Promise<Result> {
  let last: ResumeHandle | undefined;
  const tracked: J = {
    ...job,
    saveResumeHandle: async (handle: ResumeHandle) => {
      last = handle;
      await job.saveResumeHandle(handle);
    },
  };
  try {
    return await run(tracked);
  } finally {
    const handle = last ?? job.resume?.handle;
    if (handle) await release(handle, job.settings);
  }
}

type ReleasableJob = Pick<RunnerJob, 'saveResumeHandle' | 'settings' | 'resume'>;

/** The runner as the engine drives it: each run() followed by its release. */
export function releasing(runner: TaskRunner): TaskRunner {
  const release: TaskRunner['release'] = (handle, settings) => runner.release(handle, settings);
  return { kind: runner.kind, workingDirFor: (dir) => runner.workingDirFor(dir), release, run: (job) => runReleased((given) => runner.run(given), release, job) };
}

/**
 * Whether this test process made the pod (identityFor's execution ids carry its pid): on the real
 * cluster, the runner's test files run at once in one namespace, so each counts only its own pods.
 */
export function madeHere(pod: { metadata: { labels?: Record<string, string> } }): boolean {
  return pod.metadata.labels?.['harrier.io/execution-id']?.startsWith(`exec${process.pid}x`) ?? false;
}
