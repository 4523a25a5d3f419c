/**
 * A Schedule's cron expression, checked for shape: five fields (six with seconds, which the
 * trigger's `withSeconds` allows) or one of the @-macros Kestra's cron-utils parser accepts.
 */
import { z } from 'zod';
import { expected } from '../flow/schema-kit.ts';

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const FIELD = /^[0-9A-Za-z*?/,#LW-]+$/;

export function cronProblem(cron: string): string | undefined {
  const text = cron.trim();
  if (text.startsWith('@')) {
    return MACROS.includes(text.toLowerCase()) ? undefined : `unknown cron macro '${text}' (expected one of ${MACROS.join(', ')})`;
  }
  const fields = text.split(/\s+/);
  if (fields.length < 5 || fields.length > 6) return `expected a cron expression of 5 fields (minute hour day month weekday), got ${fields.length}`;
  const bad = fields.find((field) => !FIELD.test(field));
  return bad === undefined ? undefined : `'${bad}' is not a cron field (digits, names, * ? / , - L W #)`;
}

export function cronExpression() {
  return z.string({ error: expected('a cron expression like "0 9 * * *"') }).superRefine((cron, context) => {
    const problem = cronProblem(cron);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
}
