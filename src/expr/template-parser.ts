/**
 * Builds the template tree from the scanned segments: output blocks, and the `if`/`for` tags with
 * their nesting checked. Collects every syntax problem instead of stopping at the first.
 */
import type { BlockSource, Expr, ParsedTemplate, SyntaxProblem, TemplateNode } from './ast.ts';
import { ParseFailure } from './errors.ts';
import { ExpressionParser, describeToken } from './expression-parser.ts';
import { scanTemplate, type Segment } from './lexer.ts';
import { templateDepthProblem } from './limits.ts';
import { quoteBlock } from './quote.ts';
import { didYouMean } from './suggest.ts';

const KNOWN_TAGS = ['if', 'elseif', 'else', 'endif', 'for', 'endfor', 'raw', 'endraw', 'verbatim', 'endverbatim'];

type TagSegment = Extract<Segment, { kind: 'output' | 'tag' }>;
type IfNode = Extract<TemplateNode, { type: 'if' }>;
type ForNode = Extract<TemplateNode, { type: 'for' }>;

interface OpenTag {
  node: IfNode | ForNode;
  block: BlockSource;
  /** Where nodes went before this tag opened. */
  parent: TemplateNode[];
  inElse: boolean;
}

export function parseTemplate(template: string): ParsedTemplate {
  const scan = scanTemplate(template);
  const problems: SyntaxProblem[] = [...scan.problems];
  const root: TemplateNode[] = [];
  const stack: OpenTag[] = [];
  let target = root;

  const report = (segment: TagSegment, offset: number, message: string) => {
    problems.push({ offset, message: `${message} in ${quoteBlock(segment.source)}` });
  };
  const parseExpr = (segment: TagSegment, startIndex: number): Expr | undefined => {
    if (segment.kind === 'tag' && startIndex >= segment.tokens.length) return undefined;
    const closeOffset = segment.end - 2 - (segment.source.endsWith('-}}') || segment.source.endsWith('-%}') ? 1 : 0);
    try {
      return new ExpressionParser(segment.tokens, startIndex, closeOffset).parseAll();
    } catch (error) {
      if (!(error instanceof ParseFailure)) throw error;
      report(segment, error.offset, error.message);
      return undefined;
    }
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
        target.push(node);
        stack.push({ node, block, parent: target, inElse: false });
        target = node.branches[0].body;
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
        if (!top || top.inElse) {
          report(segment, tagToken.start, top ? "a second 'else' in the same block" : "'else' without an open 'if' or 'for'");
          break;
        }
        top.inElse = true;
        top.node.otherwise = [];
        target = top.node.otherwise;
        break;
      }
      case 'endif':
      case 'endfor': {
        noArguments();
        const opener = tag === 'endif' ? 'if' : 'for';
        if (!top || top.node.type !== opener) {
          const open = top ? `, but the open block is ${quoteBlock(top.block.text)}` : '';
          report(segment, tagToken.start, `'${tag}' without an open '${opener}'${open}`);
          break;
        }
        stack.pop();
        target = top.parent;
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
        target.push(node);
        stack.push({ node, block, parent: target, inElse: false });
        target = node.body;
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
          `unknown tag '${tag}'${didYouMean(tag, KNOWN_TAGS)} (supported: if, elseif, else, endif, for, endfor, raw, endraw)`,
        );
    }
  }

  for (const open of stack.reverse()) {
    const closer = open.node.type === 'if' ? 'endif' : 'endfor';
    problems.push({ offset: open.block.offset, message: `${quoteBlock(open.block.text)} is never closed with {% ${closer} %}` });
  }
  const tooDeep = problems.length === 0 ? templateDepthProblem(root) : undefined;
  if (tooDeep) problems.push(tooDeep);
  problems.sort((a, b) => a.offset - b.offset);
  return { nodes: root, problems };
}
