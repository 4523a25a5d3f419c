/** Time formats of the Kubernetes API. */

/** metav1.Time: RFC 3339 with whole seconds, always UTC. */
export function rfc3339(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The kubelet's RFC3339NanoFixed (`2024-01-01T00:00:00.000000000Z`) from an RFC 3339 text with any
 * number of fractional digits, as Docker prints it (trailing zeros trimmed).
 */
export function fixedNano(timestamp: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) return timestamp;
  const fraction = (match[2] ?? '').padEnd(9, '0').slice(0, 9);
  return `${match[1]}.${fraction}Z`;
}

/** Seconds since the epoch of an RFC 3339 text, keeping sub-second precision as a fraction. */
export function epochSeconds(timestamp: string): number {
  const match = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) return Number.NaN;
  const whole = Date.parse(`${match[1]}${match[3]}`) / 1000;
  return whole + Number(`0.${match[2] ?? '0'}`);
}
