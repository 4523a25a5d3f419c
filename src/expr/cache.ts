/** A bounded least-recently-used cache of parsed templates, keyed by the template text. */
import type { ParsedTemplate } from './ast.ts';
import { parseTemplate } from './template-parser.ts';

const MAX_ENTRIES = 2000;
/** Huge texts (whole scripts) are parsed each time rather than pinned in memory. */
const MAX_CACHED_LENGTH = 64 * 1024;

const cache = new Map<string, ParsedTemplate>();

export function parseCached(template: string): ParsedTemplate {
  const hit = cache.get(template);
  if (hit) {
    cache.delete(template);
    cache.set(template, hit);
    return hit;
  }
  const parsed = parseTemplate(template);
  if (template.length <= MAX_CACHED_LENGTH) {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(template, parsed);
  }
  return parsed;
}

export function cachedTemplateCount(): number {
  return cache.size;
}
