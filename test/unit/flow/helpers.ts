import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseFlow } from '../../../src/flow/index.ts';
import { FlowValidationError } from '../../../src/shared/errors.ts';
import type { FlowIssue } from '../../../src/shared/errors.ts';

export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

/** The issues parseFlow reports for `text`, as `line:column path: message` lines. */
export function issuesOf(text: string): string[] {
  return rawIssuesOf(text).map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`);
}

export function rawIssuesOf(text: string): FlowIssue[] {
  try {
    parseFlow(text, 'flow.yaml');
  } catch (error) {
    assert.ok(error instanceof FlowValidationError, `expected a FlowValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the flow to be rejected');
}

/** A minimal valid flow around the given task lines (each indented by 4 spaces under `tasks:`). */
export function flowWithTasks(tasksYaml: string): string {
  return `id: f\nnamespace: company.team\ntasks:\n${tasksYaml}`;
}
