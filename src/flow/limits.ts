/**
 * The sizes a flow may have. A flow is a program written by people, so these bounds sit far above
 * any real flow and far below what would make validation slow or memory-hungry; each one is
 * checked before the expensive work and refused with a message that names the limit.
 */
import type { PathSegment } from './yaml-source.ts';

export const FLOW_LIMITS = {
  /** Bytes of one flow file (UTF-8). */
  maxFlowBytes: 4 * 1024 * 1024,
  /** Tasks in one flow, flowable tasks and their children included. */
  maxTasks: 5_000,
  /** Characters of one string value (an inline script, a message). */
  maxStringLength: 1024 * 1024,
  /** Nesting of maps and lists inside the document. */
  maxNesting: 100,
  /** Nodes that YAML aliases may add to the document when expanded (an "alias bomb" has billions). */
  maxAliasExpansion: 100_000,
} as const;

export interface LimitProblem {
  path: PathSegment[];
  message: string;
}

/** The flow file's size, before anything is parsed. */
export function flowSizeProblem(textOrBytes: string | number): string | undefined {
  const bytes = typeof textOrBytes === 'number' ? textOrBytes : Buffer.byteLength(textOrBytes, 'utf8');
  if (bytes <= FLOW_LIMITS.maxFlowBytes) return undefined;
  return `the flow file has ${count(bytes)} bytes, more than the limit of ${count(FLOW_LIMITS.maxFlowBytes)} bytes (${formatBytes(FLOW_LIMITS.maxFlowBytes)}) for one flow `
    + '(split it into several flows, or keep large scripts and data in namespace files)';
}

/**
 * The first limit the plain document breaks (string length, nesting, task count), or undefined.
 * Walks without recursion, so no document can exhaust the stack here.
 */
export function documentLimitProblem(document: unknown): LimitProblem | undefined {
  let tasks = 0;
  const pending: { value: unknown; path: PathSegment[]; role: Role }[] = [{ value: document, path: [], role: 'task' }];
  while (pending.length > 0) {
    const { value, path, role } = pending.pop()!;
    if (typeof value === 'string') {
      if (value.length > FLOW_LIMITS.maxStringLength) {
        return {
          path,
          message: `this string has ${count(value.length)} characters, more than the limit of ${count(FLOW_LIMITS.maxStringLength)} `
            + '(keep large scripts and data in namespace files)',
        };
      }
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= FLOW_LIMITS.maxNesting) {
      return { path, message: `maps and lists nest more than ${FLOW_LIMITS.maxNesting} levels deep here, the limit (flatten the document)` };
    }
    if (role === 'task' && path.length > 0 && ++tasks > FLOW_LIMITS.maxTasks) {
      return {
        path,
        message: `the flow has more than ${count(FLOW_LIMITS.maxTasks)} tasks, the limit for one flow (split it into several flows)`,
      };
    }
    const entries: [PathSegment, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
    // Pushed in reverse, so the first problem in document order is the one reported.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i];
      pending.push({ value: item, path: [...path, key], role: childRole(role, value, key, item) });
    }
  }
  return undefined;
}

/** A task is a map in the `tasks` list of the flow or of another task. */
type Role = 'task' | 'taskList' | 'other';

function childRole(role: Role, parent: object, key: PathSegment, child: unknown): Role {
  if (role === 'task' && !Array.isArray(parent) && key === 'tasks' && Array.isArray(child)) return 'taskList';
  if (role === 'taskList' && child !== null && typeof child === 'object' && !Array.isArray(child)) return 'task';
  return 'other';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${bytes} bytes`;
}
