/**
 * Splits a template into text and blocks (`{{ }}`, `{% %}`; comments dropped, raw kept literal) and
 * tokenizes each block's expression. Offsets always point into the template text.
 */
import type { SyntaxProblem } from './ast.ts';
import { quoteBlock } from './quote.ts';

export type TokenType = 'name' | 'number' | 'string' | 'punct';

export interface Token {
  type: TokenType;
  /** The name, the operator/punctuation, the digits, or the unescaped string value. */
  value: string;
  start: number;
  end: number;
}

export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'output' | 'tag'; tokens: Token[]; start: number; end: number; source: string };

export interface ScanResult {
  segments: Segment[];
  problems: SyntaxProblem[];
}

const BLOCK_OPENER = /\{[{%#]/g;
const RAW_END: Record<string, RegExp> = { raw: /\{%-?\s*endraw\s*-?%\}/g, verbatim: /\{%-?\s*endverbatim\s*-?%\}/g };
const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;
/** Longest first, so `???` wins over `??` and `?`. */
const OPERATORS = ['???', '??', '==', '!=', '<=', '>=', '..', '(', ')', '[', ']', '{', '}', ',', ':', '.', '|', '?', '<', '>', '+', '-', '*', '/', '%', '~', '='];

export function scanTemplate(template: string): ScanResult {
  const segments: Segment[] = [];
  const problems: SyntaxProblem[] = [];
  let pos = 0;
  let trimNextText = false;

  const pushText = (text: string, trimEnd: boolean) => {
    let value = trimNextText ? text.trimStart() : text;
    if (trimEnd) value = value.trimEnd();
    trimNextText = false;
    if (value) segments.push({ kind: 'text', text: value });
  };

  while (pos < template.length) {
    BLOCK_OPENER.lastIndex = pos;
    const found = BLOCK_OPENER.exec(template);
    if (!found) break;
    const start = found.index;
    const opener = found[0];
    const trimBefore = template[start + 2] === '-';

    if (opener === '{#') {
      pushText(template.slice(pos, start), trimBefore);
      const close = template.indexOf('#}', start + 2);
      if (close < 0) {
        problems.push({
          offset: start,
          code: 'EXPR_SYNTAX',
          message: `'{#' starts a comment that is never closed with '#}' (to write a literal '{#', as in shell \${#var}, wrap it in {% raw %}...{% endraw %})`,
        });
        return { segments, problems };
      }
      pos = close + 2;
      continue;
    }

    const kind = opener === '{{' ? 'output' : 'tag';
    const block = lexBlock(template, start, kind);
    if ('problem' in block) {
      pushText(template.slice(pos, start), trimBefore);
      problems.push(block.problem);
      pos = block.resume;
      continue;
    }
    const source = template.slice(start, block.end);
    const first = block.tokens[0];
    if (kind === 'tag' && first?.type === 'name' && (first.value === 'raw' || first.value === 'verbatim') && block.tokens.length === 1) {
      // Kestra cuts raw blocks out before Pebble sees the template, so '-' on raw tags trims nothing;
      // verbatim is Pebble's own tag and honours it.
      const trims = first.value === 'verbatim';
      pushText(template.slice(pos, start), trims && trimBefore);
      const endPattern = RAW_END[first.value];
      endPattern.lastIndex = block.end;
      const rawEnd = endPattern.exec(template);
      if (!rawEnd) {
        problems.push({ offset: start, message: `${source} is never closed with {% end${first.value} %}`, code: 'EXPR_SYNTAX' });
        return { segments, problems };
      }
      trimNextText = trims && block.trimAfter;
      pushText(template.slice(block.end, rawEnd.index), trims && rawEnd[0].startsWith('{%-'));
      trimNextText = trims && rawEnd[0].endsWith('-%}');
      pos = rawEnd.index + rawEnd[0].length;
      continue;
    }
    pushText(template.slice(pos, start), trimBefore);
    trimNextText = block.trimAfter;
    pos = block.end;
    segments.push({ kind, tokens: block.tokens, start, end: block.end, source });
  }
  pushText(template.slice(pos), false);
  return { segments, problems };
}

type BlockLex =
  | { tokens: Token[]; end: number; trimAfter: boolean }
  | { problem: SyntaxProblem; resume: number };

/** Tokenizes from just after `{{`/`{%` up to the closing delimiter met outside any bracket. */
function lexBlock(template: string, start: number, kind: 'output' | 'tag'): BlockLex {
  const closer = kind === 'output' ? '}}' : '%}';
  const tokens: Token[] = [];
  const pos = template[start + 2] === '-' ? start + 3 : start + 2;
  const result = lexUntil(template, pos, closer, tokens);
  if ('problem' in result) {
    const offset = result.problem?.offset ?? start;
    const message = result.problem?.message ?? `'${kind === 'output' ? '{{' : '{%'}' is never closed with '${closer}'`;
    const close = template.indexOf(closer, offset);
    if (close < 0) return { problem: { offset, message, code: 'EXPR_SYNTAX' }, resume: template.length };
    return { problem: { offset, message: `${message} in ${quoteBlock(template.slice(start, close + 2))}`, code: 'EXPR_SYNTAX' }, resume: close + 2 };
  }
  return { tokens, end: result.end, trimAfter: result.trimAfter };
}

/** `problem` undefined means the template ended before the closer. */
type Lexed = { end: number; trimAfter: boolean } | { problem: SyntaxProblem | undefined };

/**
 * Appends tokens until `closer` outside any bracket: `}}` or `%}` (optionally preceded by `-` for
 * whitespace control), or the `}` that ends a `#{...}` string interpolation.
 */
function lexUntil(template: string, start: number, closer: '}}' | '%}' | '}', tokens: Token[]): Lexed {
  const brackets: Token[] = [];
  let pos = start;
  const fail = (offset: number, message: string): Lexed => ({ problem: { offset, message, code: 'EXPR_SYNTAX' } });

  while (true) {
    while (pos < template.length && /\s/.test(template[pos])) pos++;
    if (pos >= template.length) {
      const open = brackets.at(-1);
      if (open) return fail(open.start, `'${open.value}' is never closed`);
      return { problem: undefined };
    }
    if (brackets.length === 0) {
      if (template.startsWith(closer, pos)) return { end: pos + closer.length, trimAfter: false };
      if (closer !== '}' && template[pos] === '-' && template.startsWith(closer, pos + 1)) return { end: pos + 3, trimAfter: true };
    }
    const ch = template[pos];

    if (NAME_START.test(ch)) {
      let end = pos + 1;
      while (end < template.length && NAME_PART.test(template[end])) end++;
      tokens.push({ type: 'name', value: template.slice(pos, end), start: pos, end });
      pos = end;
      continue;
    }

    if (DIGIT.test(ch)) {
      let end = pos + 1;
      while (end < template.length && DIGIT.test(template[end])) end++;
      // After a '.', `a.0.1` means two indexes, not the float 0.1.
      const afterDot = tokens.at(-1)?.value === '.' && tokens.at(-1)?.type === 'punct';
      if (!afterDot && template[end] === '.' && DIGIT.test(template[end + 1] ?? '')) {
        end += 2;
        while (end < template.length && DIGIT.test(template[end])) end++;
      }
      tokens.push({ type: 'number', value: template.slice(pos, end), start: pos, end });
      pos = end;
      continue;
    }

    if (ch === "'" || ch === '"') {
      const lexed = lexString(template, pos, tokens);
      if (lexed === undefined) return fail(pos, `string starting with ${ch} is never closed`);
      if (typeof lexed !== 'number') return lexed;
      pos = lexed;
      continue;
    }

    const op = OPERATORS.find((candidate) => template.startsWith(candidate, pos));
    if (op === undefined) return fail(pos, `unexpected character '${ch}'`);
    const token: Token = { type: 'punct', value: op, start: pos, end: pos + op.length };
    if (op === '(' || op === '[' || op === '{') brackets.push(token);
    if (op === ')' || op === ']' || op === '}') {
      const open = brackets.pop();
      const expected = open && { '(': ')', '[': ']', '{': '}' }[open.value];
      if (!open) return fail(pos, `unexpected '${op}' with no matching opening bracket`);
      if (expected !== op) return fail(pos, `'${open.value}' is closed by '${op}' instead of '${expected}'`);
    }
    tokens.push(token);
    pos += op.length;
  }
}

/**
 * Pebble's string rules: a backslash escapes the quote character and itself; any other backslash
 * sequence is kept as written, so `'a\nb'` reaches a shell command unchanged. A double-quoted string
 * may interpolate `#{expr}`; it is emitted as `("text" ~ (expr) ~ "text")` so the parser needs no
 * special case. Returns the position after the closing quote, undefined when the string never ends.
 */
function lexString(template: string, start: number, tokens: Token[]): number | undefined | Lexed {
  const quote = template[start];
  const emitted: Token[] = [];
  const synthetic = (value: string, at: number): Token => ({ type: 'punct', value, start: at, end: at });
  let value = '';
  let partStart = start;
  let interpolated = false;
  let pos = start + 1;
  while (pos < template.length) {
    const ch = template[pos];
    if (ch === quote) {
      emitted.push({ type: 'string', value, start: partStart, end: pos + 1 });
      if (interpolated) emitted.push(synthetic(')', pos + 1));
      tokens.push(...emitted);
      return pos + 1;
    }
    if (ch === '\\' && (template[pos + 1] === quote || template[pos + 1] === '\\')) {
      value += template[pos + 1];
      pos += 2;
      continue;
    }
    if (quote === '"' && ch === '#' && template[pos + 1] === '{') {
      if (!interpolated) emitted.push(synthetic('(', start));
      interpolated = true;
      emitted.push({ type: 'string', value, start: partStart, end: pos }, synthetic('~', pos), synthetic('(', pos));
      const inner = lexUntil(template, pos + 2, '}', emitted);
      if ('problem' in inner) return inner.problem ? inner : { problem: { offset: pos, message: "'#{' is never closed with '}'", code: 'EXPR_SYNTAX' } };
      emitted.push(synthetic(')', inner.end - 1), synthetic('~', inner.end - 1));
      value = '';
      partStart = inner.end;
      pos = inner.end;
      continue;
    }
    value += ch;
    pos++;
  }
  return undefined;
}
