/**
 * Failures raised while evaluating an expression. They carry no location: the renderer adds the
 * `where` and the block text when it turns them into a user-facing ExpressionError.
 */
export class EvalFailure extends Error {
  /**
   * Set for "this value does not exist" failures (unknown variable, missing key, reading through
   * null): the ones that `default`, `??` and the `defined`/`null` tests turn into a value.
   */
  readonly missing: boolean;
  /** Printed in parentheses after the block text: "did you mean", what is defined. */
  readonly hint?: string;
  constructor(message: string, options?: { missing?: boolean; hint?: string }) {
    super(message);
    this.name = 'EvalFailure';
    this.missing = options?.missing ?? false;
    this.hint = options?.hint;
  }
}

export function isMissing(error: unknown): error is EvalFailure {
  return error instanceof EvalFailure && error.missing;
}

/**
 * Stable codes of syntax problems, for callers that branch on the kind of problem:
 * `EXPR_SYNTAX` for any malformed template, `EXPR_TOO_DEEP` when an expression or the tags nest or
 * chain past the parser's limits (see MAX_EXPRESSION_DEPTH and MAX_TAG_NESTING).
 */
export type SyntaxCode = 'EXPR_SYNTAX' | 'EXPR_TOO_DEEP';

/** A syntax problem found while parsing, at an offset into the template. */
export class ParseFailure extends Error {
  readonly offset: number;
  readonly code: SyntaxCode;
  constructor(offset: number, message: string, code: SyntaxCode = 'EXPR_SYNTAX') {
    super(message);
    this.name = 'ParseFailure';
    this.offset = offset;
    this.code = code;
  }
}
