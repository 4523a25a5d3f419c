import type { Engine } from '../../engine/index.ts';
import type { ExecutionRecord } from '../../store/index.ts';
import { apiError } from '../http.ts';

/** How often followers (SSE, `wait=true`) read changes made by other processes; this process's own wake them at once (Engine.changes). */
export const FOLLOW_POLL_MS = 200;
/** A stream reads a burst of this process's writes once, this long after the first, rather than once per write. */
export const FOLLOW_GAP_MS = 20;

export interface ServerLimits {
  /** Flow YAML and other small bodies. */
  bodyBytes: number;
  /** One uploaded file (FILE input, namespace file). */
  uploadBytes: number;
}

/** What every API module works with. */
export interface ApiContext {
  engine: Engine;
  stateDir: string;
  limits: ServerLimits;
  log(message: string): void;
}

/** The execution the path names, or a 404. */
export async function executionOr404(ctx: ApiContext, id: string): Promise<ExecutionRecord> {
  const execution = await ctx.engine.store.getExecution(id);
  if (!execution) throw apiError('EXECUTION_NOT_FOUND', `no execution '${id}'`);
  return execution;
}
