/**
 * The HTTP client of a harrier server, for `--server URL` / HARRIER_SERVER. Credentials: a bearer
 * token in HARRIER_SERVER_TOKEN, or user:password in the URL (basic auth). Server errors come back
 * as the same coded errors the embedded commands raise, so the CLI answers them alike.
 */
import { openAsBlob } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ERROR_CODES, FlowValidationError, HarrierError, InputError, type ErrorCode, type FlowIssue } from '../shared/errors.ts';

export interface KestraLogEntry {
  taskId: string | null;
  taskRunId: string | null;
  attemptNumber: number | null;
  timestamp: string;
  level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  message: string;
  index: number | null;
}

export interface KestraExecution {
  id: string;
  namespace: string;
  flowId: string;
  state: { current: string; startDate: string; endDate: string | null; duration: string | null };
  taskRunList?: { taskId: string; state: { current: string }; attempts: unknown[] }[];
  [key: string]: unknown;
}

const TERMINAL = new Set(['SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'RETRIED', 'SKIPPED']);

export function isEnded(execution: KestraExecution): boolean {
  return TERMINAL.has(execution.state.current);
}

export class HarrierClient {
  private readonly base: string;
  private readonly authorization: string | undefined;

  constructor(url: string, token = process.env.HARRIER_SERVER_TOKEN) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new HarrierError(`--server '${url}' is not a URL`, { code: 'USAGE', hint: 'pass e.g. --server http://127.0.0.1:8080' });
    }
    const basic = parsed.username ? `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}` : undefined;
    parsed.username = '';
    parsed.password = '';
    this.base = parsed.toString().replace(/\/+$/, '');
    this.authorization = token ? `Bearer ${token}` : basic ? `Basic ${Buffer.from(basic).toString('base64')}` : undefined;
  }

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.authorization) headers.set('Authorization', this.authorization);
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, { ...init, headers });
    } catch (error) {
      throw new HarrierError(`no harrier server answers at ${this.base}: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`, {
        code: 'SERVER_UNREACHABLE', hint: 'start one with `harrier server`, or check --server / HARRIER_SERVER',
      });
    }
    if (!response.ok) throw await serverError(response);
    return response;
  }

  private async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }

  /** Deploys the flow: created when new, a new revision when it exists. */
  async deployFlow(source: string, namespace: string, id: string): Promise<{ revision: number }> {
    const init = { headers: { 'Content-Type': 'application/x-yaml' }, body: source };
    try {
      return await this.json(`/api/v1/flows/${encodeURIComponent(namespace)}/${encodeURIComponent(id)}`, { ...init, method: 'PUT' });
    } catch (error) {
      if (!(error instanceof HarrierError) || error.code !== 'FLOW_NOT_FOUND') throw error;
      return this.json('/api/v1/flows', { ...init, method: 'POST' });
    }
  }

  /** `name=value` inputs; `name=@path` uploads the file. */
  async createExecution(namespace: string, flowId: string, inputs: Record<string, string>): Promise<KestraExecution> {
    const form = new FormData();
    for (const [name, value] of Object.entries(inputs)) {
      if (value.startsWith('@')) {
        const path = resolve(value.slice(1));
        let blob: Blob;
        try {
          blob = await openAsBlob(path);
        } catch {
          throw new InputError(`input '${name}': no readable file at ${path}`);
        }
        form.append(name, blob, basename(path));
      } else {
        form.append(name, value);
      }
    }
    return this.json(`/api/v1/executions/${encodeURIComponent(namespace)}/${encodeURIComponent(flowId)}`, { method: 'POST', body: form });
  }

  getExecution(id: string): Promise<KestraExecution> {
    return this.json(`/api/v1/executions/${encodeURIComponent(id)}`);
  }

  async killExecution(id: string): Promise<void> {
    await this.request(`/api/v1/executions/${encodeURIComponent(id)}/kill`, { method: 'DELETE' });
  }

  async searchExecutions(size: number): Promise<KestraExecution[]> {
    return (await this.json<{ results: KestraExecution[] }>(`/api/v1/executions/search?size=${size}`)).results;
  }

  logs(id: string, taskId?: string): Promise<KestraLogEntry[]> {
    return this.json(`/api/v1/logs/${encodeURIComponent(id)}${taskId ? `?taskId=${encodeURIComponent(taskId)}` : ''}`);
  }

  /** Every log entry as the server stores it, until the execution ends (SSE). */
  async followLogs(id: string, onEntry: (entry: KestraLogEntry) => void, taskId?: string): Promise<void> {
    const response = await this.request(`/api/v1/logs/${encodeURIComponent(id)}/follow${taskId ? `?taskId=${encodeURIComponent(taskId)}` : ''}`);
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
        if (data) onEntry(JSON.parse(data) as KestraLogEntry);
      }
    }
  }
}

async function serverError(response: Response): Promise<HarrierError> {
  let body: { message?: string; code?: string; issues?: FlowIssue[] } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // Not one of harrier's answers: the status says it all.
  }
  const message = body.message ?? `the server answered HTTP ${response.status}`;
  if (body.code === 'FLOW_INVALID' && Array.isArray(body.issues)) return new FlowValidationError(body.issues);
  if (body.code === 'INPUT_INVALID') return new InputError(message);
  const code = body.code && body.code in ERROR_CODES ? (body.code as ErrorCode) : 'SERVER_ERROR';
  return new HarrierError(message, { code, status: response.status });
}
