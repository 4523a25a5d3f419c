import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const HARRIER_BIN = join(REPO_ROOT, 'dist', 'bundle', 'harrier.js');
/** Node 24's directory first on the PATH, as `npx harrier` would have it. */
const NODE_DIR = dirname(process.execPath);

/** Folders this test process made, removed when it exits. */
const madeDirs: string[] = [];
process.on('exit', () => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

/**
 * The home of every harrier these tests start: never the real user's. Its state and config folders
 * (XDG_STATE_HOME, XDG_CONFIG_HOME) are inside it; a test may set its own in `env`.
 */
export const TEST_HOME = tempDir('harrier-home-');
export const TEST_ENV = { HOME: TEST_HOME, XDG_STATE_HOME: join(TEST_HOME, 'state'), XDG_CONFIG_HOME: join(TEST_HOME, 'config') };

export function tempStateDir(prefix = 'harrier-state-'): string {
  return tempDir(prefix);
}

export interface HarrierResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface HarrierOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

/** Starts the `harrier` binary as a user would; the caller decides when to wait or signal it. */
export function startHarrier(args: string[], options: HarrierOptions = {}): ChildProcess & { result: Promise<HarrierResult> } {
  // Run as a user's shell would: the file itself, its shebang finding Node 24 first on the PATH.
  const child = spawn(HARRIER_BIN, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, PATH: `${NODE_DIR}:${process.env.PATH}`, NO_COLOR: '1', HARRIER_STATE_DIR: undefined, ...TEST_ENV, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin!.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const result = new Promise<HarrierResult>((resolvePromise) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
  return Object.assign(child, { result });
}

export function harrier(args: string[], options: HarrierOptions = {}): Promise<HarrierResult> {
  return startHarrier(args, options).result;
}

export interface ExecutionDocument {
  id: string;
  flowId: string;
  namespace: string;
  state: string;
  failure: { code: string; message: string } | null;
  outputs: Record<string, unknown>;
  metadata: { attemptNumber: number; originalCreatedDate: string; originalId: string };
  taskRuns: {
    id: string;
    taskId: string;
    /** Inside a ForEach: the iteration's value. */
    value?: string;
    parentTaskRunId: string | null;
    state: string;
    attempts: { state: string; exitCode: number | null; runner: string | null; error: string | null }[];
    outputs: Record<string, any>;
    outputFiles: Record<string, { uri: string; path: string }>;
  }[];
}

/** `harrier run --json`: the one JSON document on stdout. */
export async function runJson(flow: string, stateDir: string, extra: string[] = [], options: HarrierOptions = {}): Promise<HarrierResult & { doc: ExecutionDocument }> {
  const result = await harrier(['run', flow, '--json', '--state-dir', stateDir, ...extra], options);
  let doc: ExecutionDocument;
  try {
    doc = JSON.parse(result.stdout);
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return { ...result, doc };
}

export function taskRun(doc: ExecutionDocument, taskId: string): ExecutionDocument['taskRuns'][number] {
  const found = doc.taskRuns.find((t) => t.taskId === taskId);
  if (!found) throw new Error(`no task run '${taskId}' in ${JSON.stringify(doc.taskRuns.map((t) => t.taskId))}`);
  return found;
}

/** Resolves when `text` appears in the child's output (stdout or stderr). */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; saw:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer | string): void => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        resolvePromise(match[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

/** Writes a flow into a fresh temp folder and returns its path. */
export function flowFile(yaml: string, name = 'flow.yaml'): string {
  const path = join(tempDir('harrier-flow-'), name);
  writeFileSync(path, yaml);
  return path;
}

/** The numbers N of the `[task] line N` lines that `harrier logs` prints, in order. */
export async function numberedLogLines(executionId: string, taskId: string, stateDir: string, env?: Record<string, string>, word = 'line'): Promise<number[]> {
  const logs = await harrier(['logs', executionId, '--task', taskId, '--state-dir', stateDir], { env });
  const pattern = new RegExp(`^\\[${taskId}\\] ${word} (\\d+)$`);
  return logs.stdout.split('\n').flatMap((line) => {
    const match = pattern.exec(line);
    return match ? [Number(match[1])] : [];
  });
}
