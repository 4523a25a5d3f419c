import type { ChildProcess } from 'node:child_process';
import { startHarrier, tempStateDir, waitForOutput, type HarrierResult } from './harrier.ts';

export interface ServerProcess {
  url: string;
  stateDir: string;
  child: ChildProcess & { result: Promise<HarrierResult> };
  /** Everything the server printed so far (its log is stderr). */
  output(): string;
  /** SIGTERM and the exit result. */
  stop(): Promise<HarrierResult>;
}

export type WorkerProcess = Omit<ServerProcess, 'url'>;

interface ServiceOptions {
  stateDir?: string;
  args?: string[];
  env?: Record<string, string | undefined>;
}

/** Starts `harrier <command>` as a user would and waits for its ready line; its log is stderr. */
async function startService(command: 'server' | 'worker', ready: RegExp, options: ServiceOptions): Promise<WorkerProcess & { ready: string }> {
  const stateDir = options.stateDir ?? tempStateDir(`harrier-${command}-`);
  const extra = command === 'server' ? ['--port', '0'] : [];
  const child = startHarrier([command, ...extra, '--state-dir', stateDir, ...(options.args ?? [])], { env: options.env, timeoutMs: 600_000 });
  let seen = '';
  child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  const line = await Promise.race([
    waitForOutput(child, ready, 60_000),
    child.result.then((result) => {
      throw new Error(`harrier ${command} exited ${result.code} before it was ready:\n${result.stderr}`);
    }),
  ]);
  return {
    ready: line, stateDir, child,
    output: () => seen,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return child.result;
    },
  };
}

/** Starts `harrier server` on a free port, as a user would, and waits for its "listening" line. */
export async function startServerProcess(options: ServiceOptions = {}): Promise<ServerProcess> {
  const { ready, ...server } = await startService('server', /listening on (http:\/\/\S+)/, options);
  return { ...server, url: /http:\/\/\S+/.exec(ready)![0] };
}

/** Starts `harrier worker` (give it `--store`), as a user would, and waits for its "harrier worker running" line. */
export async function startWorkerProcess(options: ServiceOptions = {}): Promise<WorkerProcess> {
  const { ready: _ready, ...worker } = await startService('worker', /harrier worker running/, options);
  return worker;
}

/** JSON from the API, with the status. */
export async function api(url: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const response = await fetch(`${url}${path}`, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text, headers: response.headers };
}

export async function deployFlow(url: string, yaml: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string }> {
  return api(url, '/api/v1/flows', { method: 'POST', headers: { 'Content-Type': 'application/x-yaml', ...headers }, body: yaml });
}

/** Polls an execution until it is in one of `states`. */
export async function untilState(url: string, id: string, states: string[], timeoutMs = 120_000, headers: Record<string, string> = {}): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api(url, `/api/v1/executions/${id}`, { headers });
    if (states.includes(body?.state?.current)) return body;
    if (Date.now() > deadline) throw new Error(`execution ${id} did not reach ${states.join('/')}: ${JSON.stringify(body?.state)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The execution a parent's Subflow task started, as its log names it; undefined if none within `timeoutMs`. */
export async function subflowExecutionId(url: string, parentId: string, taskId: string, timeoutMs = 30_000): Promise<string | undefined> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    const { body } = await api(url, `/api/v1/logs/${parentId}?taskId=${taskId}`);
    const id = (body as any[]).map((entry) => /runs as execution (\w+)/.exec(entry.message)?.[1]).find(Boolean);
    if (id) return id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}
