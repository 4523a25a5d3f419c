/**
 * The YAML side of parsing: the plain value of a flow file, YAML's own syntax errors, and the
 * source position of any path inside the document (for issues that point at the right line).
 */
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit } from 'yaml';
import type { Alias, Document, Node } from 'yaml';
import { JavaDouble } from '../expr/numbers.ts';
import { FLOW_LIMITS } from './limits.ts';

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
}

export interface YamlProblem extends Position {
  message: string;
}

export interface YamlSource {
  /** The document as plain data (undefined for an empty document). */
  value: unknown;
  problems: YamlProblem[];
  /**
   * Where `path` is in the source: the key itself when `at` is `key`, else the value (a block
   * collection is placed on the key that owns it). A path absent from the source (missing, or
   * added by pluginDefaults) is placed on its nearest existing ancestor.
   */
  locate(path: readonly PathSegment[], at?: 'key' | 'value'): Position;
  /** Where character `offset` of the string at `path` is, when the scalar maps onto the source simply. */
  locateInString(path: readonly PathSegment[], offset: number): Position;
}

export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

interface Found {
  node: Node | null;
  key?: Node;
}

export function readYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(line, 1), column: Math.max(col, 1) };
  };
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // yaml's parser recurses once per block level; a document nested that deep is no flow.
    return failedSource([{ line: 1, column: 1, message: TOO_DEEP }]);
  }
  const problems: YamlProblem[] = doc.errors.map((error) => ({ ...position(error.pos[0]), message: yamlMessage(error.code, error.message) }));
  if (problems.length === 0) problems.push(...aliasProblems(doc).map(({ offset, message }) => ({ ...position(offset), message })));
  let value: unknown;
  if (problems.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: FLOW_LIMITS.maxAliasExpansion });
      keepVariableDoubles(doc, text, value);
    } catch (error) {
      if (!(error instanceof RangeError || error instanceof ReferenceError)) throw error;
      problems.push({ line: 1, column: 1, message: error instanceof RangeError ? TOO_DEEP : aliasBombMessage() });
    }
  }

  const startOf = (found: Found, at: 'key' | 'value'): number => {
    const { node, key } = found;
    const blockCollection = node !== null && isCollection(node) && !node.flow;
    if (key?.range && (at === 'key' || !node?.range || blockCollection || isEmptyScalar(node as Node))) return key.range[0];
    return node?.range?.[0] ?? key?.range?.[0] ?? 0;
  };

  return {
    value,
    problems,
    locate(path, at = 'value') {
      return position(startOf(walk(doc, path), path.length === 0 ? 'value' : at));
    },
    locateInString(path, offset) {
      const found = walk(doc, path);
      const inner = found.node && isScalar(found.node) ? offsetInScalar(text, found.node, offset) : undefined;
      return position(inner ?? startOf(found, 'value'));
    },
  };
}

const TOO_DEEP = `the YAML nests too deeply to be read (keep maps and lists under ${FLOW_LIMITS.maxNesting} levels)`;
/** Worded on demand: toLocaleString's first call loads ICU's number formats, 5 to 10 ms of start-up. */
function aliasBombMessage(): string {
  return `the YAML aliases expand to more than ${FLOW_LIMITS.maxAliasExpansion.toLocaleString('en-US')} nodes, the limit `
    + '(an alias bomb? write the repeated parts out, or use fewer nested aliases)';
}

/** A source that holds only problems: nothing in it can be located further. */
function failedSource(problems: YamlProblem[]): YamlSource {
  const start = { line: 1, column: 1 };
  return { value: undefined, problems, locate: () => start, locateInString: () => start };
}

/**
 * Aliases that name no earlier anchor, refer to the node that holds them, or together expand the
 * document past the limit; each problem at the alias that breaks the rule (offset into the text).
 */
function aliasProblems(doc: Document): { offset: number; message: string }[] {
  // An alias names the last node with that anchor before it, in document order (as yaml resolves it).
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  const sizes = new Map<unknown, number>();
  const resolving = new Set<unknown>();
  const sizeOf = (node: unknown): number => {
    if (!node || typeof node !== 'object') return 0;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let size = 1;
    if (isAlias(node)) {
      const target = targets.get(node);
      if (!target) return 0;
      if (resolving.has(target)) throw new CyclicAlias();
      size = sizeOf(target);
    } else if (isPair(node)) {
      return sizeOf(node.key) + sizeOf(node.value);
    } else if (isCollection(node)) {
      resolving.add(node);
      for (const item of node.items) size += sizeOf(item);
      resolving.delete(node);
    }
    sizes.set(node, size);
    return size;
  };
  const problems: { offset: number; message: string }[] = [];
  let expanded = 0;
  visit(doc, {
    Node(_key, node) {
      if (!isAlias(node)) {
        if (node.anchor) anchors.set(node.anchor, node);
        return undefined;
      }
      const at = node.range?.[0] ?? 0;
      const target = anchors.get(node.source);
      if (!target) {
        problems.push({ offset: at, message: `the alias '*${node.source}' names no anchor: define '&${node.source}' before it, or remove the alias` });
        return undefined;
      }
      targets.set(node, target);
      try {
        expanded += sizeOf(node);
      } catch (error) {
        if (!(error instanceof CyclicAlias)) throw error;
        problems.push({ offset: at, message: `the alias '*${node.source}' is inside the node its anchor names, so it would never end (remove it)` });
        return visit.BREAK;
      }
      if (expanded > FLOW_LIMITS.maxAliasExpansion) {
        problems.push({ offset: at, message: aliasBombMessage() });
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return problems;
}

/** Thrown out of the size count when an alias is met inside the node it names. */
class CyclicAlias extends Error {}

/** yaml's own message, first line only, except where it speaks of yaml's API rather than the file. */
function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'a flow file holds one YAML document, this one has several (put each flow in its own file)';
  if (code === 'RESOURCE_EXHAUSTION') return TOO_DEEP;
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && (node.range?.[0] === node.range?.[1]);
}

/** The node at `path`, or the deepest existing ancestor. */
function walk(doc: Document, path: readonly PathSegment[]): Found {
  let found: Found = { node: doc.contents as Node | null };
  for (const segment of path) {
    let node = found.node;
    if (node && isAlias(node)) node = node.resolve(doc) ?? null;
    if (node && isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return found;
      found = { node: (pair.value as Node | null) ?? null, key: pair.key as Node };
      if (found.node === null) return found;
    } else if (node && isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      found = { node: node.items[segment] as Node };
    } else {
      return found;
    }
  }
  return found;
}

/** Source offset of character `offset` of a string scalar, where the text is copied verbatim. */
function offsetInScalar(source: string, node: Scalar, offset: number): number | undefined {
  if (!node.range || typeof node.value !== 'string') return undefined;
  const [start, end] = node.range;
  const raw = source.slice(start, end);
  const value = node.value;
  switch (node.type) {
    case Scalar.PLAIN:
      return raw === value ? start + offset : undefined;
    case Scalar.QUOTE_SINGLE:
    case Scalar.QUOTE_DOUBLE:
      return raw.slice(1, -1) === value ? start + 1 + offset : undefined;
    case Scalar.BLOCK_LITERAL:
      return offsetInBlockLiteral(source, start, value, offset);
    default:
      return undefined;
  }
}

function offsetInBlockLiteral(source: string, start: number, value: string, offset: number): number | undefined {
  const before = value.slice(0, offset);
  const lineIndex = before.split('\n').length - 1;
  const columnInLine = offset - (before.lastIndexOf('\n') + 1);
  const valueLine = value.split('\n')[lineIndex];
  // The content starts on the line after the `|` header.
  let lineStart = source.indexOf('\n', start) + 1;
  if (lineStart === 0) return undefined;
  for (let i = 0; i < lineIndex; i++) {
    const next = source.indexOf('\n', lineStart);
    if (next < 0) return undefined;
    lineStart = next + 1;
  }
  const lineEnd = source.indexOf('\n', lineStart);
  const sourceLine = source.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  const indent = sourceLine.length - valueLine.length;
  if (indent < 0 || sourceLine.slice(indent) !== valueLine) return undefined;
  return lineStart + indent + columnInLine;
}

/** A plain YAML number written with a point or an exponent: a double for Java, even when whole. */
const DOUBLE_TEXT = /^[-+]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)$/;

/**
 * Kestra reads `variables: {x: 1.0}` as a Java double, which prints `1.0`; JavaScript's 1.0 is 1.
 * Whole-valued doubles under `variables` become JavaDoubles (they serialise as plain numbers), so
 * expressions print them as Kestra does. Only there: every other property is read by a schema.
 */
function keepVariableDoubles(doc: Document, text: string, value: unknown): void {
  const root = doc.contents;
  if (!isMap(root) || !value || typeof value !== 'object') return;
  const variables = root.items.find((pair) => isScalar(pair.key) && pair.key.value === 'variables');
  const target = (value as Record<string, unknown>).variables;
  if (variables && target && typeof target === 'object') replaceDoubles(variables.value as Node, text, target as Record<string, unknown>);
}

function replaceDoubles(node: Node | null, text: string, target: Record<string, unknown> | unknown[]): void {
  if (!node || !isCollection(node)) return;
  node.items.forEach((item, index) => {
    const key = isPair(item) ? (isScalar(item.key) ? String(item.key.value) : undefined) : index;
    const child = (isPair(item) ? item.value : item) as Node | null;
    if (key === undefined || !child) return;
    const current = (target as Record<string | number, unknown>)[key];
    if (isScalar(child) && typeof current === 'number' && Number.isInteger(current) && child.type === 'PLAIN' && child.range
      && DOUBLE_TEXT.test(text.slice(child.range[0], child.range[1]).trim())) {
      (target as Record<string | number, unknown>)[key] = new JavaDouble(current);
    } else if (current && typeof current === 'object') {
      replaceDoubles(child, text, current as Record<string, unknown>);
    }
  });
}
