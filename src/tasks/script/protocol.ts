/**
 * Kestra's stdout protocol: a line that is exactly `::{json}::` carries outputs, metrics or log
 * entries instead of text. Anything else is an ordinary log line.
 */
export interface ProtocolMetric {
  name: string;
  type: 'counter' | 'timer';
  value: number;
  tags: Record<string, string>;
}

export interface ProtocolLog {
  level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  message: string;
}

export type ProtocolMessage =
  | { kind: 'message'; outputs?: Record<string, unknown>; metrics: ProtocolMetric[]; logs: ProtocolLog[] }
  | { kind: 'invalid'; reason: string };

const PROTOCOL_LINE = /^::(\{.*\})::$/;
const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']);

/** undefined for an ordinary line. */
export function parseProtocolLine(line: string): ProtocolMessage | undefined {
  const match = PROTOCOL_LINE.exec(line);
  if (!match) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(match[1]);
  } catch (error) {
    return { kind: 'invalid', reason: `invalid JSON (${(error as Error).message})` };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { kind: 'invalid', reason: 'not a JSON object' };
  const { outputs, metrics = [], logs = [] } = body as Record<string, unknown>;
  if (outputs !== undefined && (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs))) {
    return { kind: 'invalid', reason: '"outputs" must be an object' };
  }
  if (!Array.isArray(metrics)) return { kind: 'invalid', reason: '"metrics" must be a list' };
  if (!Array.isArray(logs)) return { kind: 'invalid', reason: '"logs" must be a list' };
  const parsedMetrics: ProtocolMetric[] = [];
  for (const metric of metrics as Record<string, unknown>[]) {
    if (typeof metric?.name !== 'string' || typeof metric.value !== 'number' || (metric.type !== 'counter' && metric.type !== 'timer')) {
      return { kind: 'invalid', reason: 'a metric needs a string "name", a number "value" and "type" counter or timer' };
    }
    const tags = Object.fromEntries(Object.entries((metric.tags ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    parsedMetrics.push({ name: metric.name, type: metric.type, value: metric.value, tags });
  }
  const parsedLogs: ProtocolLog[] = [];
  for (const entry of logs as Record<string, unknown>[]) {
    const level = String(entry?.level ?? 'INFO').toUpperCase();
    parsedLogs.push({ level: (LEVELS.has(level) ? level : 'INFO') as ProtocolLog['level'], message: String(entry?.message ?? '') });
  }
  return { kind: 'message', outputs: outputs as Record<string, unknown> | undefined, metrics: parsedMetrics, logs: parsedLogs };
}
