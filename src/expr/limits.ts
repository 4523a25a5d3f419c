/**
 * How deep a template may be. The evaluator recurses once per level of the tree (each operator,
 * filter, attribute, bracket and `if`/`for` tag is a level), and `render()` may nest templates a
 * few times over, so the limit keeps every template far from the end of the stack. The check runs
 * when a template is parsed, so `harrier validate` refuses what rendering would refuse.
 */
import type { SyntaxProblem, TemplateNode } from './ast.ts';
import { quoteBlock } from './quote.ts';

export const MAX_TEMPLATE_DEPTH = 200;

/** The first place where the tree is deeper than the limit, as a syntax problem; undefined if none. */
export function templateDepthProblem(nodes: readonly TemplateNode[]): SyntaxProblem | undefined {
  // Iterative on purpose: the tree being checked may be far too deep to recurse over.
  const pending: { node: unknown; depth: number; block?: { text: string; offset: number } }[] = nodes.map((node) => ({ node, depth: 1 }));
  while (pending.length > 0) {
    const { node, depth, block: outer } = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    const block = (node as { block?: { text: string; offset: number } }).block ?? outer;
    if (depth > MAX_TEMPLATE_DEPTH) {
      // The block's start: deep inside, a left-leaning chain has no telling position.
      return {
        offset: block?.offset ?? (node as { start?: number }).start ?? 0,
        message: `the expression nests more than ${MAX_TEMPLATE_DEPTH} levels deep (each operator, filter, attribute and if/for tag is a level; `
          + `split it into smaller steps)${block ? ` in ${quoteBlock(block.text)}` : ''}`,
      };
    }
    for (const [key, child] of Object.entries(node)) {
      if (key === 'block' || child === null || typeof child !== 'object') continue;
      if (Array.isArray(child)) {
        for (const item of child) pending.push({ node: item, depth: isNode(item) ? depth + 1 : depth, block });
      } else {
        pending.push({ node: child, depth: isNode(child) ? depth + 1 : depth, block });
      }
    }
  }
  return undefined;
}

/** Tree nodes carry a `type`; arguments, map entries and if-branches are only containers. */
function isNode(value: unknown): boolean {
  return value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string';
}
