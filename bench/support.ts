import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HARRIER_BIN = join(REPO_ROOT, 'dist', 'bundle', 'harrier.js');

export interface Measured {
  ms: number;
  code: number | null;
  /** Peak resident set size of the process, from /proc's VmHWM, in MiB. */
  peakRssMiB: number;
  stdout: string;
  stderr: string;
}

function readHighWaterMark(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a command and measures wall time and peak RSS (sampled from /proc every 20 ms). */
export function measure(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; discardStdout?: boolean } = {}): Promise<Measured> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
    });
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, readHighWaterMark(child.pid!) ?? 0);
    }, 20);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk.length < 1e6 ? chunk : ''));
    child.on('error', reject);
    child.on('exit', () => {
      peak = Math.max(peak, readHighWaterMark(child.pid!) ?? 0);
    });
    child.on('close', (code) => {
      clearInterval(sampler);
      resolvePromise({ ms: performance.now() - started, code, peakRssMiB: peak, stdout, stderr });
    });
  });
}

/** The harrier binary run as a user runs it: through its shebang, with Node 24 first on the PATH. */
export function harrierArgs(...args: string[]): [string, string[]] {
  return [HARRIER_BIN, args];
}

export function writeFlow(name: string, yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-bench-'));
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function report(name: string, figures: Record<string, string | number>, target: string, met: boolean): void {
  console.log(`\n## ${name}`);
  for (const [key, value] of Object.entries(figures)) console.log(`- ${key}: ${value}`);
  console.log(`- target: ${target} → ${met ? 'MET' : 'NOT MET'}`);
}
