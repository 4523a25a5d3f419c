/**
 * Syntax trees of templates and expressions. Every node keeps its `start`/`end` offsets into the
 * template text so errors can point at the exact place.
 */

import type { SyntaxCode } from './errors.ts';

export interface Span {
  start: number;
  end: number;
}

export interface Argument {
  /** Set for named arguments (`date(format='yyyy')`). */
  name?: string;
  value: Expr;
}

export type Expr =
  /** `decimal` marks a number written with a fraction (`4.0`), which Pebble keeps a double. */
  | ({ type: 'literal'; value: string | number | bigint | boolean | null; decimal?: boolean } & Span)
  | ({ type: 'list'; items: Expr[] } & Span)
  | ({ type: 'map'; entries: { key: Expr; value: Expr }[] } & Span)
  | ({ type: 'name'; name: string } & Span)
  | ({ type: 'member'; object: Expr; key: Expr; computed: boolean } & Span)
  | ({ type: 'call'; name: string; args: Argument[] } & Span)
  | ({ type: 'method'; object: Expr; name: string; args: Argument[] } & Span)
  | ({ type: 'filter'; input: Expr; name: string; args: Argument[] } & Span)
  | ({ type: 'test'; input: Expr; name: string; negated: boolean } & Span)
  | ({ type: 'unary'; op: UnaryOperator; operand: Expr } & Span)
  | ({ type: 'binary'; op: BinaryOperator; left: Expr; right: Expr } & Span)
  | ({ type: 'ternary'; condition: Expr; then: Expr; otherwise: Expr } & Span);

export type UnaryOperator = 'not' | '-' | '+';

export type BinaryOperator =
  | 'or' | 'and' | 'contains' | '==' | '!=' | '<' | '>' | '<=' | '>=' | 'in' | 'not in'
  | '+' | '-' | '*' | '/' | '%' | '~' | '..' | '??' | '???';

/** The source of one `{{ }}` or `{% %}` block, quoted in error messages. */
export interface BlockSource {
  text: string;
  offset: number;
}

/** One filter of a `{% filter a | b(x) %}` chain. */
export interface FilterCall {
  name: string;
  args: Argument[];
}

export type TemplateNode =
  | { type: 'text'; value: string }
  | { type: 'output'; expr: Expr; block: BlockSource }
  | { type: 'if'; branches: { condition: Expr; body: TemplateNode[]; block: BlockSource }[]; otherwise?: TemplateNode[] }
  | { type: 'for'; variable: string; iterable: Expr; body: TemplateNode[]; otherwise?: TemplateNode[]; block: BlockSource }
  | { type: 'set'; name: string; value: Expr; block: BlockSource }
  /** `{% block name %}`: renders in place; `block('name')` renders it again. */
  | { type: 'block'; name: string; body: TemplateNode[] }
  | { type: 'filter'; filters: FilterCall[]; body: TemplateNode[]; block: BlockSource };

export interface SyntaxProblem {
  offset: number;
  message: string;
  code: SyntaxCode;
}

/** A parsed template; `problems` is non-empty when the template cannot be rendered. */
export interface ParsedTemplate {
  nodes: TemplateNode[];
  problems: SyntaxProblem[];
  /** The `{% block %}` bodies by name, for the `block()` function. */
  blocks: Map<string, TemplateNode[]>;
}
