/**
 * Precedence-climbing parser for one block's tokens, with Pebble's operator table: filters bind
 * tighter than arithmetic and comparisons, `~`, `..` and `??` tighter still, unary operators tightest.
 */
import type { Argument, BinaryOperator, Expr, FilterCall } from './ast.ts';
import type { Token } from './lexer.ts';
import { ParseFailure } from './errors.ts';
import { checkCall } from './signatures.ts';

const PRECEDENCE: Record<string, number> = {
  or: 10,
  and: 15,
  is: 20,
  contains: 20,
  '==': 30, equals: 30, '!=': 30, '<': 30, '>': 30, '<=': 30, '>=': 30, in: 30, 'not in': 30,
  '+': 40, '-': 40,
  '*': 60, '/': 60, '%': 60,
  '|': 100,
  '~': 110,
  '..': 120, '??': 120, '???': 120,
};
const UNARY_PRECEDENCE = 500;
/**
 * Limits that keep absurd input a syntax error (code EXPR_TOO_DEEP) instead of a stack overflow in
 * the parser or the evaluator: brackets and unary operators nest at most MAX_NESTING deep, and a
 * syntax tree is at most MAX_EXPRESSION_DEPTH deep, so `a + b + ...` or `x | f | g | ...` chain at
 * most that many operators and filters.
 */
export const MAX_NESTING = 100;
export const MAX_EXPRESSION_DEPTH = 500;
const PUNCT_BINARY = new Set(['==', '!=', '<', '>', '<=', '>=', '+', '-', '*', '/', '%', '|', '~', '..', '??', '???']);
const WORD_BINARY = new Set(['or', 'and', 'is', 'contains', 'equals', 'in']);
const KEYWORDS = new Set(['or', 'and', 'not', 'is', 'in', 'contains', 'equals']);
const LITERAL_WORDS: Record<string, boolean | null> = {
  true: true, TRUE: true, false: false, FALSE: false, null: null, NULL: null, none: null, NONE: null,
};

export function describeToken(token: Token | undefined): string {
  if (!token) return 'the end of the expression';
  if (token.type === 'string') return `string '${token.value}'`;
  return `'${token.value}'`;
}

export class ExpressionParser {
  private readonly tokens: Token[];
  private pos: number;
  /** Offset reported when the expression ends too early: the closing delimiter. */
  private readonly endOffset: number;
  private depth = 0;
  /** Depth of each syntax tree built so far; leaves are absent (depth 1). */
  private readonly treeDepth = new WeakMap<Expr, number>();

  constructor(tokens: Token[], startIndex: number, endOffset: number) {
    this.tokens = tokens;
    this.pos = startIndex;
    this.endOffset = endOffset;
  }

  /** Parses the whole rest of the tokens as one expression. */
  parseAll(): Expr {
    if (this.atEnd()) throw new ParseFailure(this.endOffset, 'empty expression');
    const expr = this.parseExpression(0);
    const extra = this.peek();
    if (extra) throw new ParseFailure(extra.start, `unexpected ${describeToken(extra)} after a complete expression`);
    return expr;
  }

  private peek(ahead = 0): Token | undefined {
    return this.tokens[this.pos + ahead];
  }

  private atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  private next(): Token {
    const token = this.tokens[this.pos];
    if (!token) throw new ParseFailure(this.endOffset, 'the expression ends too early');
    this.pos++;
    return token;
  }

  private isPunct(value: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token?.type === 'punct' && token.value === value;
  }

  private isWord(value: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token?.type === 'name' && token.value === value;
  }

  private expectPunct(value: string, context: string): Token {
    const token = this.peek();
    if (token?.type === 'punct' && token.value === value) return this.next();
    throw new ParseFailure(token?.start ?? this.endOffset, `expected '${value}' ${context} but found ${describeToken(token)}`);
  }

  private expectName(what: string): Token {
    const token = this.peek();
    if (token?.type === 'name') return this.next();
    throw new ParseFailure(token?.start ?? this.endOffset, `expected ${what} but found ${describeToken(token)}`);
  }

  /** The binary operator at the cursor, with how many tokens it spans. */
  private peekBinary(): { op: string; width: number } | undefined {
    const token = this.peek();
    if (!token) return undefined;
    if (token.type === 'punct' && PUNCT_BINARY.has(token.value)) return { op: token.value, width: 1 };
    if (token.type === 'name') {
      if (WORD_BINARY.has(token.value)) return { op: token.value, width: 1 };
      if (token.value === 'not' && this.isWord('in', 1)) return { op: 'not in', width: 2 };
    }
    return undefined;
  }

  /** Records the depth of a new node from its children's, failing past MAX_EXPRESSION_DEPTH. */
  private built<T extends Expr>(node: T, at: number, children: Expr[]): T {
    let deepest = 0;
    for (const child of children) deepest = Math.max(deepest, this.treeDepth.get(child) ?? 1);
    if (deepest + 1 > MAX_EXPRESSION_DEPTH) {
      throw new ParseFailure(at, `the expression chains or nests more than ${MAX_EXPRESSION_DEPTH} operations; split it, for example with {% set %}`, 'EXPR_TOO_DEEP');
    }
    this.treeDepth.set(node, deepest + 1);
    return node;
  }

  private enter(at: number): void {
    if (++this.depth > MAX_NESTING) throw new ParseFailure(at, `the expression is nested more than ${MAX_NESTING} levels deep`, 'EXPR_TOO_DEEP');
  }

  parseExpression(minPrecedence: number): Expr {
    let left = this.parseOperand();
    for (let found = this.peekBinary(); found && PRECEDENCE[found.op] >= minPrecedence; found = this.peekBinary()) {
      const at = this.peek()!.start;
      this.pos += found.width;
      if (found.op === '|') left = this.parseFilter(left, at);
      else if (found.op === 'is') left = this.parseTest(left, at);
      else {
        const right = this.parseExpression(PRECEDENCE[found.op] + 1);
        const op = (found.op === 'equals' ? '==' : found.op) as BinaryOperator;
        left = this.built({ type: 'binary', op, left, right, start: left.start, end: right.end }, at, [left, right]);
      }
    }
    if (minPrecedence === 0 && this.isPunct('?')) {
      const at = this.next().start;
      this.enter(at);
      try {
        const then = this.parseExpression(0);
        this.expectPunct(':', "in a 'condition ? then : else' expression");
        const otherwise = this.parseExpression(0);
        return this.built({ type: 'ternary', condition: left, then, otherwise, start: left.start, end: otherwise.end }, at, [left, then, otherwise]);
      } finally {
        this.depth--;
      }
    }
    return left;
  }

  /** The `a | b(x)` chain of a `{% filter %}` tag: filter names and arguments, no input. */
  parseFilterChain(): FilterCall[] {
    if (this.atEnd()) throw new ParseFailure(this.endOffset, "'filter' needs a filter name, as in {% filter upper %}");
    const chain: FilterCall[] = [];
    do {
      const name = this.expectName('a filter name');
      const args = this.isPunct('(') ? this.parseArguments().list : [];
      checkCall('filter', name.value, name.start, args);
      chain.push({ name: name.value, args });
    } while (this.isPunct('|') && this.next());
    const extra = this.peek();
    if (extra) throw new ParseFailure(extra.start, `unexpected ${describeToken(extra)} after the filters`);
    return chain;
  }

  private parseOperand(): Expr {
    const token = this.peek();
    if (token && ((token.type === 'name' && token.value === 'not') || (token.type === 'punct' && (token.value === '-' || token.value === '+')))) {
      this.next();
      this.enter(token.start);
      try {
        const operand = this.parseExpression(UNARY_PRECEDENCE);
        return this.built({ type: 'unary', op: token.value as 'not' | '-' | '+', operand, start: token.start, end: operand.end }, token.start, [operand]);
      } finally {
        this.depth--;
      }
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePrimary(): Expr {
    const token = this.peek();
    this.enter(token?.start ?? this.endOffset);
    try {
      return this.parsePrimaryAt(token);
    } finally {
      this.depth--;
    }
  }

  private parsePrimaryAt(token: Token | undefined): Expr {
    if (!token) throw new ParseFailure(this.endOffset, 'expected a value but the expression ends here');
    if (token.type === 'number') {
      this.next();
      const decimal = token.value.includes('.');
      const value = Number(token.value);
      // Pebble's integer literals are longs: past 2^53 they need a bigint to keep every digit.
      const exact = decimal || Number.isSafeInteger(value) ? value : BigInt(token.value);
      return { type: 'literal', value: exact, decimal, start: token.start, end: token.end };
    }
    if (token.type === 'string') {
      this.next();
      return { type: 'literal', value: token.value, start: token.start, end: token.end };
    }
    if (token.type === 'name') {
      if (Object.hasOwn(LITERAL_WORDS, token.value)) {
        this.next();
        return { type: 'literal', value: LITERAL_WORDS[token.value], start: token.start, end: token.end };
      }
      if (KEYWORDS.has(token.value)) throw new ParseFailure(token.start, `expected a value but found the operator '${token.value}'`);
      this.next();
      if (this.isPunct('(')) {
        const args = this.parseArguments();
        checkCall('function', token.value, token.start, args.list);
        return this.built({ type: 'call', name: token.value, args: args.list, start: token.start, end: args.end }, token.start, args.list.map((arg) => arg.value));
      }
      return { type: 'name', name: token.value, start: token.start, end: token.end };
    }
    if (token.value === '(') {
      this.next();
      const inner = this.parseExpression(0);
      const close = this.expectPunct(')', 'to close the parenthesis');
      const grouped = { ...inner, start: token.start, end: close.end };
      this.treeDepth.set(grouped, this.treeDepth.get(inner) ?? 1);
      return grouped;
    }
    if (token.value === '[') return this.parseList();
    if (token.value === '{') return this.parseMap();
    throw new ParseFailure(token.start, `expected a value but found ${describeToken(token)}`);
  }

  private parseList(): Expr {
    const open = this.next();
    const items: Expr[] = [];
    while (!this.isPunct(']')) {
      items.push(this.parseExpression(0));
      if (!this.isPunct(']')) this.expectPunct(',', 'between list items');
    }
    const close = this.next();
    return this.built({ type: 'list', items, start: open.start, end: close.end }, open.start, items);
  }

  private parseMap(): Expr {
    const open = this.next();
    const entries: { key: Expr; value: Expr }[] = [];
    while (!this.isPunct('}')) {
      const key = this.parseExpression(0);
      this.expectPunct(':', 'after a map key');
      const value = this.parseExpression(0);
      entries.push({ key, value });
      if (!this.isPunct('}')) this.expectPunct(',', 'between map entries');
    }
    const close = this.next();
    return this.built({ type: 'map', entries, start: open.start, end: close.end }, open.start, entries.flatMap((entry) => [entry.key, entry.value]));
  }

  private parsePostfix(node: Expr): Expr {
    while (true) {
      if (this.isPunct('.')) {
        this.next();
        const key = this.peek();
        if (!key || (key.type !== 'name' && key.type !== 'number')) {
          throw new ParseFailure(key?.start ?? this.endOffset, `expected an attribute name after '.' but found ${describeToken(key)}`);
        }
        this.next();
        if (key.type === 'name' && this.isPunct('(')) {
          const args = this.parseArguments();
          checkCall('method', key.value, key.start, args.list);
          node = this.built({ type: 'method', object: node, name: key.value, args: args.list, start: node.start, end: args.end }, key.start, [node, ...args.list.map((arg) => arg.value)]);
          continue;
        }
        const keyExpr: Expr = { type: 'literal', value: key.value, start: key.start, end: key.end };
        node = this.built({ type: 'member', object: node, key: keyExpr, computed: false, start: node.start, end: key.end }, key.start, [node]);
      } else if (this.isPunct('[')) {
        const open = this.next();
        const key = this.parseExpression(0);
        const close = this.expectPunct(']', 'to close the index');
        node = this.built({ type: 'member', object: node, key, computed: true, start: node.start, end: close.end }, open.start, [node, key]);
      } else if (this.isPunct('(')) {
        throw new ParseFailure(this.peek()!.start, 'only functions and methods can be called with (...)');
      } else {
        return node;
      }
    }
  }

  private parseArguments(): { list: Argument[]; end: number } {
    this.expectPunct('(', 'to start the arguments');
    const list: Argument[] = [];
    while (!this.isPunct(')')) {
      if (this.peek()?.type === 'name' && this.isPunct('=', 1)) {
        const name = this.next().value;
        this.next();
        list.push({ name, value: this.parseExpression(0) });
      } else {
        if (list.some((arg) => arg.name !== undefined)) {
          throw new ParseFailure(this.peek()?.start ?? this.endOffset, 'a positional argument cannot follow a named one');
        }
        list.push({ value: this.parseExpression(0) });
      }
      if (!this.isPunct(')')) this.expectPunct(',', 'between arguments');
    }
    const close = this.next();
    return { list, end: close.end };
  }

  private parseFilter(input: Expr, at: number): Expr {
    const name = this.expectName("a filter name after '|'");
    let args: Argument[] = [];
    let end = name.end;
    if (this.isPunct('(')) {
      const parsed = this.parseArguments();
      args = parsed.list;
      end = parsed.end;
    }
    checkCall('filter', name.value, name.start, args);
    return this.built({ type: 'filter', input, name: name.value, args, start: input.start, end }, at, [input, ...args.map((arg) => arg.value)]);
  }

  /** `is [not] name`, also written with empty parentheses as Pebble allows: `is empty()`. */
  private parseTest(input: Expr, at: number): Expr {
    let negated = false;
    if (this.isWord('not')) {
      this.next();
      negated = true;
    }
    const name = this.expectName("a test name after 'is' (defined, null, empty, even, odd, iterable, map, json)");
    let end = name.end;
    if (this.isPunct('(')) {
      const args = this.parseArguments();
      checkCall('test', name.value, name.start, args.list);
      end = args.end;
    } else {
      checkCall('test', name.value, name.start, []);
    }
    return this.built({ type: 'test', input, name: name.value, negated, start: input.start, end }, at, [input]);
  }
}
