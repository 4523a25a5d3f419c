/**
 * Builds the template tree from the scanned segments: output blocks, and the `if`, `for`, `set`,
 * `block` and `filter` tags with their nesting checked. Collects every syntax problem instead of
 * stopping at the first.
 */
import type { BlockSource, Expr, FilterCall, ParsedTemplate, SyntaxProblem, TemplateNode } from './ast.ts';
import { ParseFailure } from './errors.ts';
import { ExpressionParser, describeToken } from './expression-parser.ts';
import { scanTemplate, type Segment } from './lexer.ts';
import { quoteBlock } from './quote.ts';
import { didYouMean } from './suggest.ts';

const KNOWN_TAGS = [
  'if', 'elseif', 'else', 'endif', 'for', 'endfor', 'set', 'block', 'endblock', 'filter', 'endfilter',
  'raw', 'endraw', 'verbatim', 'endverbatim',
];
/** Tags nest at most this deep (code EXPR_TOO_DEEP), so rendering never overflows the stack. */
export const MAX_TAG_NESTING = 100;

type TagSegment = Extract<Segment, { kind: 'output' | 'tag' }>;
type IfNode = Extract<TemplateNode, { type: 'if' }>;
type ForNode = Extract<TemplateNode, { type: 'for' }>;
type BlockNode = Extract<TemplateNode, { type: 'block' }>;
type FilterNode = Extract<TemplateNode, { type: 'filter' }>;
type OpenNode = IfNode | ForNode | BlockNode | FilterNode;

const CLOSER: Record<OpenNode['type'], string> = { if: 'endif', for: 'endfor', block: 'endblock', filter: 'endfilter' };

interface OpenTag {
  node: OpenNode;
  block: BlockSource;
  /** Where nodes went before this tag opened. */
  parent: TemplateNode[];
  inElse: boolean;
}

export function parseTemplate(template: string): ParsedTemplate {
  const scan = scanTemplate(template);
  const problems: SyntaxProblem[] = [...scan.problems];
  const root: TemplateNode[] = [];
  const blocks = new Map<string, TemplateNode[]>();
  const stack: OpenTag[] = [];
  let target = root;

  const report = (segment: TagSegment, offset: number, message: string, code: SyntaxProblem['code'] = 'EXPR_SYNTAX') => {
    problems.push({ offset, message: `${message} in ${quoteBlock(segment.source)}`, code });
  };
  const closeOffset = (segment: TagSegment) => segment.end - 2 - (segment.source.endsWith('-}}') || segment.source.endsWith('-%}') ? 1 : 0);
  const parseExpr = (segment: TagSegment, startIndex: number): Expr | undefined => {
    if (segment.kind === 'tag' && startIndex >= segment.tokens.length) return undefined;
    try {
      return new ExpressionParser(segment.tokens, startIndex, closeOffset(segment)).parseAll();
    } catch (error) {
      if (!(error instanceof ParseFailure)) throw error;
      report(segment, error.offset, error.message, error.code);
      return undefined;
    }
  };
  const parseFilters = (segment: TagSegment): FilterCall[] => {
    try {
      return new ExpressionParser(segment.tokens, 1, closeOffset(segment)).parseFilterChain();
    } catch (error) {
      if (!(error instanceof ParseFailure)) throw error;
      report(segment, error.offset, error.message, error.code);
      return [];
    }
  };
  /** Opens a tag with a body; the first tag that nests past MAX_TAG_NESTING is a problem. */
  const open = (segment: TagSegment, node: OpenNode, block: BlockSource, body: TemplateNode[]): void => {
    target.push(node);
    if (stack.length === MAX_TAG_NESTING) {
      report(segment, segment.start, `tags are nested more than ${MAX_TAG_NESTING} levels deep`, 'EXPR_TOO_DEEP');
    }
    stack.push({ node, block, parent: target, inElse: false });
    target = body;
  };
  const close = (segment: TagSegment, tag: string, opener: OpenNode['type'], at: number): void => {
    const top = stack.at(-1);
    if (!top || top.node.type !== opener) {
      const openBlock = top ? `, but the open block is ${quoteBlock(top.block.text)}` : '';
      report(segment, at, `'${tag}' without an open '${opener}'${openBlock}`);
      return;
    }
    stack.pop();
    target = top.parent;
  };
  const placeholder = (segment: TagSegment): Expr => ({ type: 'literal', value: null, start: segment.start, end: segment.end });

  for (const segment of scan.segments) {
    if (segment.kind === 'text') {
      target.push({ type: 'text', value: segment.text });
      continue;
    }
    const block: BlockSource = { text: segment.source, offset: segment.start };
    if (segment.kind === 'output') {
      const expr = parseExpr(segment, 0);
      if (expr) target.push({ type: 'output', expr, block });
      continue;
    }

    const tagToken = segment.tokens[0];
    if (!tagToken || tagToken.type !== 'name') {
      report(segment, tagToken?.start ?? segment.start, `expected a tag name (${KNOWN_TAGS.slice(0, 6).join(', ')}) but found ${describeToken(tagToken)}`);
      continue;
    }
    const tag = tagToken.value;
    const top = stack.at(-1);
    const noArguments = () => {
      const extra = segment.tokens[1];
      if (extra) report(segment, extra.start, `'${tag}' takes nothing after it, found ${describeToken(extra)}`);
    };

    switch (tag) {
      case 'if': {
        if (segment.tokens.length === 1) report(segment, tagToken.end, "'if' needs a condition");
        const condition = parseExpr(segment, 1) ?? placeholder(segment);
        const node: IfNode = { type: 'if', branches: [{ condition, body: [], block }] };
        open(segment, node, block, node.branches[0].body);
        break;
      }
      case 'elseif':
      case 'elif': {
        if (!top || top.node.type !== 'if' || top.inElse) {
          report(segment, tagToken.start, `'${tag}' without an open 'if'${top?.inElse ? " (it comes after 'else')" : ''}`);
          break;
        }
        if (segment.tokens.length === 1) report(segment, tagToken.end, `'${tag}' needs a condition`);
        const condition = parseExpr(segment, 1) ?? placeholder(segment);
        const branch = { condition, body: [] as TemplateNode[], block };
        top.node.branches.push(branch);
        target = branch.body;
        break;
      }
      case 'else': {
        noArguments();
        if (!top || top.inElse || (top.node.type !== 'if' && top.node.type !== 'for')) {
          report(segment, tagToken.start, top?.inElse ? "a second 'else' in the same block" : "'else' without an open 'if' or 'for'");
          break;
        }
        top.inElse = true;
        top.node.otherwise = [];
        target = top.node.otherwise;
        break;
      }
      case 'endif':
      case 'endfor':
      case 'endfilter':
        noArguments();
        close(segment, tag, tag.slice(3) as OpenNode['type'], tagToken.start);
        break;
      case 'endblock': {
        // Pebble allows the block's name again after endblock.
        const extra = segment.tokens[1];
        if (extra && (segment.tokens.length > 2 || (extra.type !== 'name' && extra.type !== 'string'))) {
          report(segment, extra.start, `'endblock' takes at most the block's name after it, found ${describeToken(extra)}`);
        }
        close(segment, tag, 'block', tagToken.start);
        break;
      }
      case 'set': {
        const name = segment.tokens[1];
        const equals = segment.tokens[2];
        if (name?.type !== 'name') {
          report(segment, name?.start ?? tagToken.end, `expected a variable name after 'set' but found ${describeToken(name)}`);
        } else if (equals?.type !== 'punct' || equals.value !== '=') {
          report(segment, equals?.start ?? name.end, `expected '=' after 'set ${name.value}' but found ${describeToken(equals)}`);
        } else if (segment.tokens.length === 3) {
          report(segment, equals.end, `expected a value after 'set ${name.value} ='`);
        } else {
          const value = parseExpr(segment, 3);
          if (value) target.push({ type: 'set', name: name.value, value, block });
        }
        break;
      }
      case 'block': {
        const name = segment.tokens[1];
        if (!name || (name.type !== 'name' && name.type !== 'string') || segment.tokens.length > 2) {
          report(segment, name?.start ?? tagToken.end, `expected the block's name after 'block' but found ${describeToken(segment.tokens[name ? 2 : 1] ?? name)}`);
        }
        const blockName = name?.type === 'name' || name?.type === 'string' ? name.value : '';
        const node: BlockNode = { type: 'block', name: blockName, body: [] };
        if (blocks.has(blockName)) report(segment, name?.start ?? tagToken.start, `a block named '${blockName}' is already defined`);
        blocks.set(blockName, node.body);
        open(segment, node, block, node.body);
        break;
      }
      case 'filter': {
        const node: FilterNode = { type: 'filter', filters: parseFilters(segment), body: [], block };
        open(segment, node, block, node.body);
        break;
      }
      case 'for': {
        const variable = segment.tokens[1];
        const inWord = segment.tokens[2];
        let iterable: Expr | undefined;
        if (variable?.type !== 'name') {
          report(segment, variable?.start ?? tagToken.end, `expected a loop variable name after 'for' but found ${describeToken(variable)}`);
        } else if (inWord?.type !== 'name' || inWord.value !== 'in') {
          report(segment, inWord?.start ?? variable.end, `expected 'in' after 'for ${variable.value}' but found ${describeToken(inWord)}`);
        } else {
          if (segment.tokens.length === 3) report(segment, inWord.end, `expected a list or map to loop over after 'in'`);
          iterable = parseExpr(segment, 3);
        }
        const node: ForNode = {
          type: 'for',
          variable: variable?.type === 'name' ? variable.value : 'item',
          iterable: iterable ?? placeholder(segment),
          body: [],
          block,
        };
        open(segment, node, block, node.body);
        break;
      }
      case 'endraw':
      case 'endverbatim':
        report(segment, tagToken.start, `'${tag}' without an open '${tag.slice(3)}'`);
        break;
      default:
        report(
          segment,
          tagToken.start,
          `unknown tag '${tag}'${didYouMean(tag, KNOWN_TAGS)} (supported: if, elseif, else, endif, for, endfor, set, block, filter, raw)`,
        );
    }
  }

  for (const unclosed of stack.reverse()) {
    const closer = CLOSER[unclosed.node.type];
    problems.push({ offset: unclosed.block.offset, message: `${quoteBlock(unclosed.block.text)} is never closed with {% ${closer} %}`, code: 'EXPR_SYNTAX' });
  }
  problems.sort((a, b) => a.offset - b.offset);
  return { nodes: root, problems, blocks };
}
