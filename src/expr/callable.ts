/** Shapes shared by the built-in filters, functions and methods. */

export interface ExprRuntime {
  /** Resolves secret('NAME'); throws ExpressionError when unknown. The caller records values for log masking. */
  secret(name: string): string;
  /**
   * Resolves read(path): the text of an internal storage file (a `kestra://` URI) or of a namespace
   * file. Absent where no files exist (validation), where read() fails.
   */
  read?(path: string): string;
  /** Defaults to () => new Date(). */
  now?: () => Date;
  /** How many secret values were read so far: secret() calls, and scope values the caller marks as secret. */
  secretReads?(): number;
  /** The value of a block (`{{ }}`, a tag's expression) during whose evaluation a secret was read. */
  derivedFromSecret?(value: unknown): void;
}

export type Scope = Record<string, unknown>;

/** What a built-in may use besides its arguments. */
export interface CallContext {
  runtime: ExprRuntime;
  /** Renders a template text against the current scope (for `render()`). */
  render(text: string): string;
  /** Renders a `{% block %}` of the current template again (for `block()`). */
  renderBlock(name: string): string;
  /** A top-level variable of the scope, or undefined (for `currentEachOutput()`, which reads `taskrun` and `parents`). */
  variable(name: string): unknown;
}

export interface Signature {
  /** Parameter names, in positional order; named arguments must use one of them. */
  params: string[];
  /** How many leading parameters must be given. */
  required: number;
  /** Accepts any number of positional arguments (`max(1, 2, 3)`). */
  variadic?: boolean;
}

export interface FilterDef extends Signature {
  apply(input: unknown, args: unknown[], context: CallContext): unknown;
}

export interface FunctionDef extends Signature {
  apply(args: unknown[], context: CallContext): unknown;
}

export interface MethodDef extends Signature {
  apply(target: unknown, args: unknown[]): unknown;
}

export interface TestDef {
  apply(value: unknown): boolean;
}
