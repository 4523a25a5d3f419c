const FALSY = new Set(['false', '0', '-0', '', 'null', 'undefined']);

/** Kestra's truthiness of a rendered text (If, Fail, runIf): false, 0, -0, empty and null are false. */
export function isTruthy(rendered: unknown): boolean {
  return !FALSY.has(String(rendered ?? '').trim().toLowerCase());
}
