/**
 * A ForEach's `values`, resolved as Kestra does: a string is rendered then read as a JSON list; a
 * list has its strings and numbers rendered and its maps rendered deep. Duplicates are dropped,
 * nulls refused, and each value becomes the string `taskrun.value` shows (JSON for non-strings).
 */
import { HarrierError } from '../../shared/errors.ts';

export interface ValueRenderer {
  text(template: string): string;
  deep(value: unknown): unknown;
}

export function resolveForEachValues(values: unknown, render: ValueRenderer, where: string): string[] {
  const list = typeof values === 'string' ? parseList(render.text(values), where) : renderList(values, render, where);
  const seen = new Set<string>();
  const resolved: string[] = [];
  for (const value of list) {
    if (value === null || value === undefined) {
      throw invalid(`${where}: found a null value among ${JSON.stringify(list)}`, 'remove the null values, or filter them out in the expression');
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (seen.has(text)) continue;
    seen.add(text);
    resolved.push(text);
  }
  return resolved;
}

function parseList(text: string, where: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(`${where}: '${text.length > 80 ? `${text.slice(0, 80)}…` : text}' is not a JSON list`, 'write values as a YAML list, or as a JSON list such as \'["a", "b"]\'');
  }
  if (!Array.isArray(parsed)) throw invalid(`${where}: rendered to ${JSON.stringify(parsed).slice(0, 80)}, which is not a list`, 'give a list of values');
  return parsed;
}

function renderList(values: unknown, render: ValueRenderer, where: string): unknown[] {
  if (!Array.isArray(values)) throw invalid(`${where}: expected a list or a JSON string`, 'give a list of values');
  return values.map((value) => {
    if (typeof value === 'string') return render.text(value);
    if (typeof value === 'number' || typeof value === 'bigint') return render.text(String(value));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return render.deep(value);
    throw invalid(`${where}: ${value === null ? 'a null value' : `a ${Array.isArray(value) ? 'list' : typeof value}`} cannot be a ForEach value`,
      'give strings, numbers or maps');
  });
}

function invalid(message: string, hint: string): HarrierError {
  return new HarrierError(message, { code: 'FOR_EACH_VALUES_INVALID', hint });
}
