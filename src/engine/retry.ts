import type { RetryPolicy } from '../flow/model.ts';

export interface RetryHistory {
  /** Attempts made so far, the failed one included. */
  attempts: number;
  firstAttemptStartedAt: Date;
  lastAttemptEndedAt: Date;
}

/**
 * When the next attempt may start, or undefined when the policy allows none. Kestra's rules:
 * constant waits `interval`; exponential waits interval × factor^(attempts − 1), capped at
 * maxInterval (Kestra's own formula grows linearly and waits nothing before the first retry, which
 * surprises users of an "exponential" policy); random waits a uniform delay in [minInterval, maxInterval). No attempt past
 * maxAttempt, and none scheduled after first start + maxDuration.
 */
export function nextRetryAt(policy: RetryPolicy, history: RetryHistory, random: () => number = Math.random): Date | undefined {
  if (policy.maxAttempt !== undefined && history.attempts >= policy.maxAttempt) return undefined;
  const delay = retryDelayMs(policy, history.attempts, random);
  const next = new Date(history.lastAttemptEndedAt.getTime() + delay);
  if (policy.maxDurationMs !== undefined && next.getTime() > history.firstAttemptStartedAt.getTime() + policy.maxDurationMs) {
    return undefined;
  }
  return next;
}

export function retryDelayMs(policy: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  switch (policy.type) {
    case 'constant':
      return policy.intervalMs ?? 0;
    case 'exponential': {
      const factor = policy.delayFactor ?? 2;
      const delay = (policy.intervalMs ?? 0) * factor ** Math.max(attempts - 1, 0);
      return policy.maxIntervalMs === undefined ? delay : Math.min(delay, policy.maxIntervalMs);
    }
    case 'random': {
      const min = policy.minIntervalMs ?? 0;
      const max = policy.maxIntervalMs ?? min;
      return min + Math.floor(random() * Math.max(max - min, 0));
    }
  }
}
