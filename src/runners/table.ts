/**
 * Every task runner, declared once. A new runner is a folder with its code, a schema.ts and a
 * descriptor.ts (see descriptor.ts), plus its line here; everything else derives from this list.
 */
import type { RunnerDescriptor } from './descriptor.ts';
import { dockerRunner } from './docker/descriptor.ts';
import { kubernetesRunner } from './kubernetes/descriptor.ts';
import { processRunner } from './process/descriptor.ts';

export const RUNNERS = [processRunner, dockerRunner, kubernetesRunner] as const;

export type RunnerKind = (typeof RUNNERS)[number]['kind'];

/** A script task without a `taskRunner` runs here. */
export const DEFAULT_RUNNER: RunnerDescriptor<RunnerKind> = processRunner;

export const RUNNER_KINDS: readonly RunnerKind[] = RUNNERS.map((runner) => runner.kind);

const BY_KIND = new Map<string, RunnerDescriptor<RunnerKind>>(RUNNERS.map((runner) => [runner.kind, runner]));
const BY_TYPE = new Map<string, RunnerDescriptor<RunnerKind>>(
  RUNNERS.flatMap((runner) => runner.types.map((type) => [type, runner] as const)),
);

export function runnerOfKind(kind: RunnerKind): RunnerDescriptor<RunnerKind> {
  return BY_KIND.get(kind)!;
}

/** The runner a `taskRunner.type` names, full name or alias. */
export function runnerOfType(type: string): RunnerDescriptor<RunnerKind> | undefined {
  return BY_TYPE.get(type);
}

export function isRunnerKind(value: string): value is RunnerKind {
  return BY_KIND.has(value);
}
