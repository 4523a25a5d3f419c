/**
 * Who drives an execution: this process, identified by its pid and its start time, so that a new
 * process that happens to get a dead owner's pid is not taken for it.
 */
import { readFileSync } from 'node:fs';
import type { ExecutionOwner } from '../store/index.ts';

/** Field 22 of /proc/PID/stat: the process's start time in clock ticks since boot (Linux only). */
export function processStartOf(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

export function thisProcessOwner(): ExecutionOwner {
  return { pid: process.pid, processStart: processStartOf(process.pid), since: new Date().toISOString() };
}

/** True while the owner's process runs (a process of another user counts: it exists). */
export function isOwnerAlive(owner: ExecutionOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.processStart === undefined) return true;
  const start = processStartOf(owner.pid);
  return start === undefined || start === owner.processStart;
}
