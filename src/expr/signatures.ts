/**
 * Parse-time checks of filter, function, method and test calls, so `harrier validate` reports an
 * unknown name or a wrong argument list before anything runs.
 */
import type { Argument } from './ast.ts';
import type { Signature } from './callable.ts';
import { ParseFailure } from './errors.ts';
import { FILTERS } from './filters.ts';
import { FUNCTIONS } from './functions.ts';
import { TESTS } from './is-tests.ts';
import { METHODS } from './methods.ts';
import { didYouMean } from './suggest.ts';

export type CallKind = 'filter' | 'function' | 'method' | 'test';


function registry(kind: CallKind): Record<string, Signature> {
  if (kind === 'filter') return FILTERS;
  if (kind === 'function') return FUNCTIONS;
  if (kind === 'method') return METHODS;
  return Object.fromEntries(Object.keys(TESTS).map((name) => [name, { params: [], required: 0 }]));
}

export function checkCall(kind: CallKind, name: string, offset: number, args: Argument[]): void {
  const known = registry(kind);
  if (!Object.hasOwn(known, name)) {
    throw new ParseFailure(offset, `unknown ${kind} '${name}'${didYouMean(name, Object.keys(known))}`);
  }
  const signature = known[name];
  const label = kind === 'method' ? `method '${name}()'` : `${kind} '${name}'`;
  const positional = args.filter((arg) => arg.name === undefined).length;
  if (!signature.variadic && positional > signature.params.length) {
    const expected = signature.params.length === 0 ? 'no arguments' : `at most ${signature.params.length} (${signature.params.join(', ')})`;
    throw new ParseFailure(offset, `${label} takes ${expected}, got ${positional}`);
  }
  const given = new Set<string>(signature.params.slice(0, positional));
  for (const arg of args) {
    if (arg.name === undefined) continue;
    if (!signature.params.includes(arg.name)) {
      throw new ParseFailure(arg.value.start, `${label} has no argument '${arg.name}'${didYouMean(arg.name, signature.params)}`);
    }
    if (given.has(arg.name)) throw new ParseFailure(arg.value.start, `${label} gets '${arg.name}' twice`);
    given.add(arg.name);
  }
  const missing = signature.params.slice(0, signature.required).filter((param) => !given.has(param));
  if (missing.length > 0 && !(signature.variadic && positional > 0)) {
    throw new ParseFailure(offset, `${label} needs the argument${missing.length > 1 ? 's' : ''} ${missing.map((param) => `'${param}'`).join(', ')}`);
  }
}

/** Maps call arguments onto the parameter order: [positional..., named in place]. */
export function orderArguments(signature: Signature, positional: unknown[], named: Map<string, unknown>): unknown[] {
  if (signature.variadic) return positional;
  const ordered = signature.params.map((_param, index) => positional[index]);
  for (const [name, value] of named) ordered[signature.params.indexOf(name)] = value;
  return ordered;
}
