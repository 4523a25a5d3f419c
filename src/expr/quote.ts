/** How block text appears in messages: on one line, shortened when long. */
const MAX_QUOTE = 120;

export function quoteBlock(text: string): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  return oneLine.length > MAX_QUOTE ? `${oneLine.slice(0, MAX_QUOTE - 1)}…` : oneLine;
}
