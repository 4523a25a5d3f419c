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

/** Starts `harrier server` on a free port, as a user would, and waits for its "listening" line. */
export async function startServerProcess(options: { stateDir?: string; args?: string[]; env?: Record<string, string | undefined> } = {}): Promise<ServerProcess> {
  const stateDir = options.stateDir ?? tempStateDir('harrier-server-');
  const child = startHarrier(['server', '--port', '0', '--state-dir', stateDir, ...(options.args ?? [])], { env: options.env, timeoutMs: 600_000 });
  let seen = '';
  child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  const line = await Promise.race([
    waitForOutput(child, /listening on (http:\/\/\S+)/, 60_000),
    child.result.then((result) => {
      throw new Error(`harrier server exited ${result.code} before listening:\n${result.stderr}`);
    }),
  ]);
  const url = /http:\/\/\S+/.exec(line)![0];
  return {
    url, stateDir, child,
    output: () => seen,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return child.result;
    },
  };
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
