/**
 * Pebble-compatible expressions for Kestra flows: `{{ expr }}`, `{% if %}`/`{% for %}`, `{# #}` and
 * `{% raw %}` in string properties. Strict: unknown variables and keys fail with a message that names
 * the expression and where it is.
 */
import { ExpressionError } from '../shared/errors.ts';
import { parseCached } from './cache.ts';
import type { ExprRuntime, Scope } from './callable.ts';
import { EvalFailure, type SyntaxCode } from './errors.ts';
import { renderNodes, type EvalContext } from './evaluator.ts';

export type { ExprRuntime, Scope } from './callable.ts';
export type { SyntaxCode } from './errors.ts';

const EXPRESSION_START = /\{[{%#]/;
/** `render()` inside `render()` inside ...: deep enough for real use, stops runaway recursion. */
const MAX_RENDER_DEPTH = 8;

/** True when the string contains an expression at all (fast path for callers). */
export function hasExpression(text: string): boolean {
  return EXPRESSION_START.test(text);
}

/**
 * Syntax problems without evaluating: [] when fine. offset is 0-based into the template; code is
 * EXPR_TOO_DEEP past the parser's nesting and chaining limits, else EXPR_SYNTAX.
 */
export function findExpressionSyntaxErrors(template: string): { offset: number; message: string; code: SyntaxCode }[] {
  if (!hasExpression(template)) return [];
  return parseCached(template).problems.map((problem) => ({ ...problem }));
}

function syntaxErrorMessage(problems: { message: string }[]): string {
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more syntax error${problems.length > 2 ? 's' : ''})` : '';
  return `syntax error: ${problems[0].message}${more}`;
}

function renderWith(template: string, context: EvalContext): string {
  if (!hasExpression(template)) return template;
  const parsed = parseCached(template);
  if (parsed.problems.length > 0) {
    const problem = syntaxErrorMessage(parsed.problems);
    throw new ExpressionError(context.where ? `${context.where}: ${problem}` : problem);
  }
  return renderNodes(parsed.nodes, { ...context, template, blocks: parsed.blocks });
}

/** `render()`: the same scope and loop variables, its own text; failures name the inner block. */
function renderNested(text: string, outer: EvalContext): string {
  if (outer.depth >= MAX_RENDER_DEPTH) throw new EvalFailure(`render() is nested more than ${MAX_RENDER_DEPTH} levels deep`);
  try {
    return renderWith(text, { ...outer, where: undefined, depth: outer.depth + 1 });
  } catch (error) {
    if (error instanceof ExpressionError) throw new EvalFailure(error.message);
    throw error;
  }
}

/** Renders a template string. Text outside {{ }} is copied. Throws ExpressionError (src/shared/errors.ts). */
export function renderTemplate(template: string, scope: Scope, runtime: ExprRuntime, where?: string): string {
  if (!hasExpression(template)) return template;
  return renderWith(template, { template, scope, runtime, where, frames: [new Map()], blocks: new Map(), renderNested, depth: 0 });
}

/** `where` for a string nested inside a rendered value: `property 'spec'` becomes `property 'spec.containers[0].image'`. */
function nestedWhere(where: string | undefined, path: string): string | undefined {
  if (path === '') return where;
  if (where === undefined) return `at '${path}'`;
  const property = /^(.*property ')([^']*)'$/.exec(where);
  if (property) return `${property[1]}${property[2]}${path.startsWith('[') ? '' : '.'}${path}'`;
  return `${where}, at '${path}'`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function renderAt(value: unknown, path: string, scope: Scope, runtime: ExprRuntime, where: string | undefined): unknown {
  if (typeof value === 'string') return renderTemplate(value, scope, runtime, nestedWhere(where, path));
  if (Array.isArray(value)) return value.map((item, index) => renderAt(item, `${path}[${index}]`, scope, runtime, where));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const child = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}['${key}']`;
      out[key] = renderAt(item, child, scope, runtime, where);
    }
    return out;
  }
  return value;
}

/** Renders every string inside a JSON-like value (objects, arrays), keys untouched; returns a new value. */
export function renderDeep<T>(value: T, scope: Scope, runtime: ExprRuntime, where?: string): T {
  return renderAt(value, '', scope, runtime, where) as T;
}
