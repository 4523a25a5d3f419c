import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextRetryAt, retryDelayMs } from '../../../src/engine/retry.ts';
import type { RetryPolicy } from '../../../src/flow/model.ts';

const base: Omit<RetryPolicy, 'type'> = { warningOnRetry: false, behavior: 'RETRY_FAILED_TASK' };
const t0 = new Date('2024-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);

test('constant waits the interval after the last attempt', () => {
  const policy: RetryPolicy = { ...base, type: 'constant', intervalMs: 5_000, maxAttempt: 3 };
  assert.deepEqual(nextRetryAt(policy, { attempts: 1, firstAttemptStartedAt: t0, lastAttemptEndedAt: at(1_000) }), at(6_000));
});

test('maxAttempt counts the first attempt', () => {
  const policy: RetryPolicy = { ...base, type: 'constant', intervalMs: 10, maxAttempt: 2 };
  assert.ok(nextRetryAt(policy, { attempts: 1, firstAttemptStartedAt: t0, lastAttemptEndedAt: t0 }));
  assert.equal(nextRetryAt(policy, { attempts: 2, firstAttemptStartedAt: t0, lastAttemptEndedAt: t0 }), undefined);
});

test('no retry is scheduled past first start + maxDuration', () => {
  const policy: RetryPolicy = { ...base, type: 'constant', intervalMs: 60_000, maxDurationMs: 90_000 };
  assert.ok(nextRetryAt(policy, { attempts: 1, firstAttemptStartedAt: t0, lastAttemptEndedAt: at(20_000) }));
  assert.equal(nextRetryAt(policy, { attempts: 2, firstAttemptStartedAt: t0, lastAttemptEndedAt: at(40_000) }), undefined);
});

test('exponential multiplies by the factor each attempt and is capped by maxInterval', () => {
  const policy: RetryPolicy = { ...base, type: 'exponential', intervalMs: 1_000, maxIntervalMs: 10_000, delayFactor: 3 };
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelayMs(policy, n)), [1_000, 3_000, 9_000, 10_000]);
  assert.equal(retryDelayMs({ ...policy, delayFactor: undefined }, 3), 4_000, 'factor defaults to 2');
});

test('random stays within [minInterval, maxInterval)', () => {
  const policy: RetryPolicy = { ...base, type: 'random', minIntervalMs: 1_000, maxIntervalMs: 2_000 };
  assert.equal(retryDelayMs(policy, 1, () => 0), 1_000);
  assert.equal(retryDelayMs(policy, 1, () => 0.999), 1_999);
});
