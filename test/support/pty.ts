/**
 * Running `harrier` under a real pseudo-terminal (Python's pty module, python3 being on every
 * machine that runs the suite), and reading what a terminal would then show. TEST INFRASTRUCTURE.
 */
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { HARRIER_BIN, REPO_ROOT } from './harrier.ts';

const PTY_SCRIPT = 'import os, pty, sys\nsys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))\n';

export interface TerminalRun {
  code: number | null;
  /** Every byte the terminal received, escape sequences included. */
  raw: string;
}

/** Runs harrier with a terminal as its stdin, stdout and stderr; NO_COLOR is not set unless `env` sets it. */
export function runInTerminal(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 120_000): Promise<TerminalRun> {
  const childEnv: Record<string, string | undefined> = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, TERM: 'xterm', ...env };
  for (const name of ['NO_COLOR', 'FORCE_COLOR']) if (!(name in env)) delete childEnv[name];
  const child = spawn('python3', ['-c', PTY_SCRIPT, HARRIER_BIN, ...args], { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  let raw = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, raw });
  }));
}

/**
 * The lines a terminal shows at the end, scrollback included: carriage returns, line feeds,
 * erase-line and cursor-up applied, colours dropped.
 */
export function screenOf(raw: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  let column = 0;
  const tokens = raw.match(/\x1b\[[0-9;]*[A-Za-z]|\r|\n|[^\x1b\r\n]+/g) ?? [];
  for (const token of tokens) {
    if (token === '\r') column = 0;
    else if (token === '\n') {
      row += 1;
      if (lines.length <= row) lines.push('');
    } else if (token === '\x1b[2K') lines[row] = '';
    else if (token === '\x1b[1A') row = Math.max(0, row - 1);
    else if (token.startsWith('\x1b[')) continue;
    else {
      const line = lines[row].padEnd(column);
      lines[row] = line.slice(0, column) + token + line.slice(column + token.length);
      column += token.length;
    }
  }
  return lines.map((line) => line.trimEnd());
}
