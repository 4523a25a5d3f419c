/**
 * Evaluates parsed templates against a scope. Strict: a name or key that does not exist is an error
 * (a "missing" EvalFailure) unless `default`, `??`/`???` or the `defined`/`null` tests absorb it.
 */
import { ExpressionError, HarrierError } from '../shared/errors.ts';
import type { Argument, BlockSource, Expr, TemplateNode } from './ast.ts';
import type { CallContext, ExprRuntime, Scope } from './callable.ts';
import { EvalFailure, isMissing } from './errors.ts';
import { FILTERS } from './filters.ts';
import { FUNCTIONS } from './functions.ts';
import { TESTS } from './is-tests.ts';
import { METHODS } from './methods.ts';
import { orderArguments } from './signatures.ts';
import { nearestName } from './suggest.ts';
import { quoteBlock } from './quote.ts';
import { calculate, double, isNumeric, type Numeric, negate } from './numbers.ts';
import { compareValues, isMap, isNullish, isTruthy, printValue, typeName, valuesEqual } from './values.ts';

const MAX_LISTED_NAMES = 12;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface EvalContext {
  /** The text the nodes were parsed from; expression paths in messages are slices of it. */
  template: string;
  scope: Scope;
  /** Loop and `{% set %}` variables, innermost last; the first frame is the template's own. */
  frames: Map<string, unknown>[];
  /** The template's `{% block %}` bodies, for `block()`. */
  blocks: Map<string, TemplateNode[]>;
  runtime: ExprRuntime;
  where?: string;
  /** Renders nested text for `render()`; set by the caller that knows the parse cache. */
  renderNested(text: string, context: EvalContext): string;
  depth: number;
}

export function renderNodes(nodes: TemplateNode[], context: EvalContext): string {
  let out = '';
  for (const node of nodes) {
    switch (node.type) {
      case 'text':
        out += node.value;
        break;
      case 'output': {
        // Evaluated, then printed: the secret-taint check in inBlock sees the value (12, true), not its text.
        const value = inBlock(node.block, context, () => evaluate(node.expr, context));
        out += inBlock(node.block, context, () => printValue(value));
        break;
      }
      case 'if': {
        const chosen = node.branches.find((branch) => inBlock(branch.block, context, () => isTruthy(evaluate(branch.condition, context))));
        const body = chosen ? chosen.body : node.otherwise;
        if (body) out += renderNodes(body, context);
        break;
      }
      case 'for':
        out += renderLoop(node, context);
        break;
      case 'set':
        assign(node.name, inBlock(node.block, context, () => evaluate(node.value, context)), context);
        break;
      case 'block':
        out += renderNodes(node.body, context);
        break;
      case 'filter':
        out += renderFiltered(node, context);
        break;
    }
  }
  return out;
}

/** Pebble's `set`: the innermost frame that already has the name, else the innermost frame. */
function assign(name: string, value: unknown, context: EvalContext): void {
  const frames = context.frames;
  const owner = frames.findLast((frame) => frame.has(name)) ?? frames.at(-1);
  owner?.set(name, value);
}

/** `{% filter a | b %}...{% endfilter %}`: the rendered body goes through the filters in order. */
function renderFiltered(node: Extract<TemplateNode, { type: 'filter' }>, context: EvalContext): string {
  const body = renderNodes(node.body, context);
  return inBlock(node.block, context, () => {
    let value: unknown = body;
    for (const call of node.filters) value = applyFilter(call.name, value, call.args, context);
    return printValue(value);
  });
}

function renderLoop(node: Extract<TemplateNode, { type: 'for' }>, context: EvalContext): string {
  const items = inBlock(node.block, context, () => {
    const iterable = evaluate(node.iterable, context);
    if (isNullish(iterable)) return [];
    if (Array.isArray(iterable)) return iterable;
    if (isMap(iterable)) return Object.entries(iterable).map(([key, value]) => ({ key, value }));
    throw new EvalFailure(`cannot loop over ${typeName(iterable)} ('${source(node.iterable, context)}'); expected a list or a map`);
  });
  if (items.length === 0) return node.otherwise ? renderNodes(node.otherwise, context) : '';
  let out = '';
  // One frame for the whole loop, as Pebble's one scope: a `set` of a new name lives until the loop ends.
  const frame = new Map<string, unknown>();
  const inner = { ...context, frames: [...context.frames, frame] };
  items.forEach((item, index) => {
    const loop = { index, revindex: items.length - index - 1, first: index === 0, last: index === items.length - 1, length: items.length };
    frame.set(node.variable, item);
    frame.set('loop', loop);
    out += renderNodes(node.body, inner);
  });
  return out;
}

/**
 * Runs one block's evaluation, turning a failure into the user-facing error for that block. A value
 * computed while a secret was read goes to the runtime, which masks it as it masks the secret.
 */
function inBlock<T>(block: BlockSource, context: EvalContext, run: () => T): T {
  const readsBefore = context.runtime.secretReads?.();
  try {
    const value = run();
    if (readsBefore !== undefined && context.runtime.secretReads!() > readsBefore) context.runtime.derivedFromSecret?.(value);
    return value;
  } catch (error) {
    if (!(error instanceof EvalFailure)) throw error;
    const where = context.where ? `${context.where}: ` : '';
    const hint = error.hint ? ` (${error.hint})` : '';
    throw new ExpressionError(`${where}${error.message} in ${quoteBlock(block.text)}${hint}`);
  }
}

function source(expr: Expr, context: EvalContext): string {
  return context.template.slice(expr.start, expr.end);
}

function keyPath(parent: string, key: string): string {
  return IDENTIFIER.test(key) ? `${parent}.${key}` : `${parent}['${key.replace(/'/g, "\\'")}']`;
}

/** "did you mean ...? defined: ..." for a name or key that does not exist among `keys`. */
function undefinedHint(missing: string, keys: string[], display: (key: string) => string): string {
  if (keys.length === 0) return 'nothing is defined there';
  const parts: string[] = [];
  const hyphenated = keys.find((key) => key.startsWith(`${missing}-`));
  const near = hyphenated ?? nearestName(missing, keys);
  if (hyphenated) parts.push(`names with '-' need brackets: ${display(hyphenated)};`);
  else if (near !== undefined) parts.push(`did you mean '${display(near)}'?`);
  const listed = keys.slice(0, MAX_LISTED_NAMES).map(display).join(', ');
  parts.push(`defined: ${listed}${keys.length > MAX_LISTED_NAMES ? `, … (${keys.length} in all)` : ''}`);
  return parts.join(' ');
}

function definedKeys(map: Record<string, unknown>): string[] {
  return Object.keys(map).filter((key) => map[key] !== undefined);
}

function lookupName(name: string, expr: Expr, context: EvalContext): unknown {
  for (let i = context.frames.length - 1; i >= 0; i--) {
    if (context.frames[i].has(name)) return context.frames[i].get(name);
  }
  if (Object.hasOwn(context.scope, name) && context.scope[name] !== undefined) return context.scope[name];
  const names = [...new Set([...context.frames.flatMap((frame) => [...frame.keys()]), ...definedKeys(context.scope)])];
  throw new EvalFailure(`undefined variable '${source(expr, context)}'`, {
    missing: true,
    hint: undefinedHint(name, names, (key) => key),
  });
}

function readMember(expr: Extract<Expr, { type: 'member' }>, context: EvalContext): unknown {
  const target = evaluate(expr.object, context);
  const key = expr.computed ? evaluate(expr.key, context) : (expr.key as { value: string }).value;
  const parent = source(expr.object, context);
  const keyText = typeof key === 'string' ? key : printValue(key);
  // A computed key is named by its source text: its value may be a secret.
  const keyLabel = expr.computed && expr.key.type !== 'literal' ? `[${source(expr.key, context)}]` : keyText;
  if (isNullish(target)) {
    throw new EvalFailure(`cannot read '${keyLabel}' of '${parent}' because '${parent}' is null`, { missing: true });
  }
  if (Array.isArray(target)) {
    const index = typeof key === 'number' ? key : typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : undefined;
    if (index === undefined || !Number.isInteger(index)) {
      const hint = keyText === 'length' || keyText === 'size' ? "use the 'length' filter: | length" : undefined;
      throw new EvalFailure(`'${parent}' is a list and has no attribute '${keyLabel}'; use a whole-number index such as ${parent}[0]`, { missing: true, hint });
    }
    if (index < 0 || index >= target.length) {
      throw new EvalFailure(`index ${index} is out of range for '${parent}' (a list of ${target.length} item${target.length === 1 ? '' : 's'})`, { missing: true });
    }
    return target[index];
  }
  if (isMap(target)) {
    if (typeof key !== 'string' && typeof key !== 'number') {
      throw new EvalFailure(`a map key must be a string or a number, got ${typeName(key)} for '${source(expr, context)}'`);
    }
    if (Object.hasOwn(target, keyText) && target[keyText] !== undefined) return target[keyText];
    throw new EvalFailure(`undefined variable '${source(expr, context)}'`, {
      missing: true,
      hint: undefinedHint(keyText, definedKeys(target), (name) => keyPath(parent, name)),
    });
  }
  const hint = typeof target === 'string' && (keyText === 'length' || keyText === 'size') ? "use the 'length' filter: | length" : undefined;
  throw new EvalFailure(`cannot read '${keyLabel}' of '${parent}' because it is ${typeName(target)}`, { missing: true, hint });
}

/** Evaluates, turning a missing value into undefined (for `default`, `??` and the tests). */
function evaluateOrMissing(expr: Expr, context: EvalContext): unknown {
  try {
    return evaluate(expr, context);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function callContext(context: EvalContext): CallContext {
  return {
    runtime: context.runtime,
    render: (text) => context.renderNested(text, context),
    renderBlock: (name) => {
      const body = context.blocks.get(name);
      if (!body) throw new EvalFailure(`no block named '${name}' in this template${context.blocks.size ? ` (blocks: ${[...context.blocks.keys()].join(', ')})` : ''}`);
      return renderNodes(body, context);
    },
    variable: (name) => (Object.hasOwn(context.scope, name) ? context.scope[name] : undefined),
  };
}

function applyFilter(name: string, input: unknown, args: Argument[], context: EvalContext): unknown {
  const definition = FILTERS[name];
  const { positional, named } = evaluateArguments(args, context);
  return invoke(`filter '${name}'`, () => definition.apply(input, orderArguments(definition, positional, named), callContext(context)));
}

function evaluateArguments(args: Argument[], context: EvalContext): { positional: unknown[]; named: Map<string, unknown> } {
  const positional: unknown[] = [];
  const named = new Map<string, unknown>();
  for (const arg of args) {
    const value = evaluate(arg.value, context);
    if (arg.name === undefined) positional.push(value);
    else named.set(arg.name, value);
  }
  return { positional, named };
}

/** Calls a built-in, naming it in whatever failure comes out. */
function invoke(label: string, run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    if (error instanceof EvalFailure) throw new EvalFailure(`${label}: ${error.message}`, { hint: error.hint });
    if (error instanceof HarrierError) throw new EvalFailure(`${label}: ${error.userMessage()}`);
    if (error instanceof Error) throw new EvalFailure(`${label}: ${error.message}`);
    throw error;
  }
}

const NUMERIC_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/;
const NUMBER_FILTER_HINT = "text that holds a number needs the number filter first: value | number";

function numberOperand(value: unknown, operator: string, side: string): Numeric {
  if (isNumeric(value)) return value;
  const hint = typeof value === 'string' && NUMERIC_TEXT.test(value) ? NUMBER_FILTER_HINT : undefined;
  throw new EvalFailure(`'${operator}' needs numbers, but its ${side} side is ${typeName(value)}`, { hint });
}

function compareOrHint(left: unknown, right: unknown, operator: string): number {
  try {
    return compareValues(left, right, operator);
  } catch (error) {
    const numericText = [left, right].some((side) => typeof side === 'string' && NUMERIC_TEXT.test(side));
    const mixed = isNumeric(left) || isNumeric(right);
    if (error instanceof EvalFailure && numericText && mixed) throw new EvalFailure(error.message, { hint: NUMBER_FILTER_HINT });
    throw error;
  }
}

function arithmetic(op: '+' | '-' | '*' | '/' | '%', left: unknown, right: unknown): unknown {
  if (op === '+') {
    if (typeof left === 'string' || typeof right === 'string') return printValue(left) + printValue(right);
    if (Array.isArray(left)) return Array.isArray(right) ? [...left, ...right] : [...left, right];
  }
  // Pebble subtracts from a list: one item, or every item of a list.
  if (op === '-' && Array.isArray(left)) {
    if (Array.isArray(right)) return left.filter((item) => !right.some((other) => valuesEqual(item, other)));
    const at = left.findIndex((item) => valuesEqual(item, right));
    return at < 0 ? left : [...left.slice(0, at), ...left.slice(at + 1)];
  }
  const a = numberOperand(left, op, 'left');
  const b = numberOperand(right, op, 'right');
  try {
    return calculate(op, a, b);
  } catch (error) {
    if (error instanceof RangeError) throw new EvalFailure(error.message);
    throw error;
  }
}

function membership(item: unknown, container: unknown): boolean {
  if (isNullish(container) || isNullish(item)) return false;
  const same = (candidate: unknown) =>
    valuesEqual(candidate, item) || (!isMap(candidate) && !Array.isArray(candidate) && !isMap(item) && printValue(candidate) === printValue(item));
  if (Array.isArray(container)) return container.some(same);
  if (isMap(container)) return Object.keys(container).some(same) || Object.values(container).some(same);
  if (typeof container === 'string') return container.includes(printValue(item));
  throw new EvalFailure(`'in' needs a list, a map or a string on its right side, got ${typeName(container)}`);
}

function contains(container: unknown, item: unknown): boolean {
  if (isNullish(container)) return false;
  if (Array.isArray(item) && Array.isArray(container)) return item.every((entry) => container.some((candidate) => valuesEqual(candidate, entry)));
  if (Array.isArray(container)) return container.some((candidate) => valuesEqual(candidate, item));
  if (isMap(container)) return Object.hasOwn(container, printValue(item));
  if (typeof container === 'string') return container.includes(printValue(item));
  throw new EvalFailure(`'contains' needs a list, a map or a string on its left side, got ${typeName(container)}`);
}

function evaluateBinary(expr: Extract<Expr, { type: 'binary' }>, context: EvalContext): unknown {
  const { op } = expr;
  if (op === 'or') return isTruthy(evaluate(expr.left, context)) || isTruthy(evaluate(expr.right, context));
  if (op === 'and') return isTruthy(evaluate(expr.left, context)) && isTruthy(evaluate(expr.right, context));
  if (op === '??' || op === '???') {
    const left = evaluateOrMissing(expr.left, context);
    const useRight = left === undefined || (op === '??' && left === null);
    return useRight ? evaluate(expr.right, context) : left;
  }
  const left = evaluate(expr.left, context);
  const right = evaluate(expr.right, context);
  switch (op) {
    case '==':
      return valuesEqual(left, right);
    case '!=':
      return !valuesEqual(left, right);
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (isNullish(left) || isNullish(right)) return false;
      const order = compareOrHint(left, right, op);
      return op === '<' ? order < 0 : op === '>' ? order > 0 : op === '<=' ? order <= 0 : order >= 0;
    }
    case 'in':
      return membership(left, right);
    case 'not in':
      return !membership(left, right);
    case 'contains':
      return contains(left, right);
    case '~':
      return printValue(left) + printValue(right);
    case '..':
      return invoke('..', () => FUNCTIONS.range.apply([left, right], callContext(context)));
    default:
      return arithmetic(op, left, right);
  }
}

/** Map keys are expressions in Pebble; a bare word that is not a variable most likely wanted quotes. */
function evaluateMapKey(key: Expr, context: EvalContext): unknown {
  try {
    return evaluate(key, context);
  } catch (error) {
    if (key.type === 'name' && isMissing(error)) {
      throw new EvalFailure(error.message, { missing: true, hint: `map keys are expressions; quote a literal key: {'${key.name}': ...}` });
    }
    throw error;
  }
}

export function evaluate(expr: Expr, context: EvalContext): unknown {
  switch (expr.type) {
    case 'literal':
      return expr.decimal === true && typeof expr.value === 'number' ? double(expr.value) : expr.value;
    case 'list':
      return expr.items.map((item) => evaluate(item, context));
    case 'map': {
      const map: Record<string, unknown> = {};
      for (const entry of expr.entries) {
        const key = evaluateMapKey(entry.key, context);
        if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean') {
          throw new EvalFailure(`a map key must be a string or a number, got ${typeName(key)} for '${source(entry.key, context)}'`);
        }
        map[printValue(key)] = evaluate(entry.value, context);
      }
      return map;
    }
    case 'name':
      return lookupName(expr.name, expr, context);
    case 'member':
      return readMember(expr, context);
    case 'call': {
      const definition = FUNCTIONS[expr.name];
      const { positional, named } = evaluateArguments(expr.args, context);
      return invoke(`${expr.name}()`, () => definition.apply(orderArguments(definition, positional, named), callContext(context)));
    }
    case 'method': {
      const target = evaluate(expr.object, context);
      const definition = METHODS[expr.name];
      if (isNullish(target)) {
        const parent = source(expr.object, context);
        throw new EvalFailure(`cannot call '${expr.name}()' on '${parent}' because '${parent}' is null`, { missing: true });
      }
      const { positional, named } = evaluateArguments(expr.args, context);
      return invoke(`method '${expr.name}()'`, () => definition.apply(target, orderArguments(definition, positional, named)));
    }
    case 'filter': {
      const input = expr.name === 'default' ? evaluateOrMissing(expr.input, context) : evaluate(expr.input, context);
      return applyFilter(expr.name, input, expr.args, context);
    }
    case 'test': {
      const lenient = expr.name === 'defined' || expr.name === 'null';
      const value = lenient ? evaluateOrMissing(expr.input, context) : evaluate(expr.input, context);
      const result = invoke(`test '${expr.name}'`, () => TESTS[expr.name].apply(value)) as boolean;
      return expr.negated ? !result : result;
    }
    case 'unary': {
      const operand = evaluate(expr.operand, context);
      if (expr.op === 'not') return !isTruthy(operand);
      const value = numberOperand(operand, expr.op, 'operand');
      return expr.op === '-' ? negate(value) : value;
    }
    case 'binary':
      return evaluateBinary(expr, context);
    case 'ternary':
      return isTruthy(evaluate(expr.condition, context)) ? evaluate(expr.then, context) : evaluate(expr.otherwise, context);
  }
}
