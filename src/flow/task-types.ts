/**
 * Every task and task runner type Harrier accepts: Kestra's full names, so a Kestra flow runs
 * unchanged, and a short alias for each.
 *
 * Aliases: drop the `io.kestra.plugin.` prefix down to the last meaningful segment:
 *   shell.Commands  shell.Script  python.Commands  python.Script  node.Commands  node.Script
 *   dbt.DbtCLI  Log  OutputValues  Parallel  Sequential  PodCreate
 * Task runners: Process  Docker  Kubernetes
 */
import type { RunnerKind, ScriptLanguage, TaskKind } from './model.ts';

export interface TaskTypeInfo {
  kind: TaskKind;
  /** The Kestra name this type stands for (the alias' full name, or itself). */
  canonical: string;
  language?: ScriptLanguage;
  mode?: 'commands' | 'script';
}

interface TaskTypeEntry extends TaskTypeInfo {
  names: string[];
}

function script(language: ScriptLanguage, mode: 'commands' | 'script', canonical: string, alias: string): TaskTypeEntry {
  return { kind: 'script', language, mode, canonical, names: [canonical, alias] };
}

const TASK_TYPE_ENTRIES: TaskTypeEntry[] = [
  script('shell', 'commands', 'io.kestra.plugin.scripts.shell.Commands', 'shell.Commands'),
  script('shell', 'script', 'io.kestra.plugin.scripts.shell.Script', 'shell.Script'),
  script('python', 'commands', 'io.kestra.plugin.scripts.python.Commands', 'python.Commands'),
  script('python', 'script', 'io.kestra.plugin.scripts.python.Script', 'python.Script'),
  script('node', 'commands', 'io.kestra.plugin.scripts.node.Commands', 'node.Commands'),
  script('node', 'script', 'io.kestra.plugin.scripts.node.Script', 'node.Script'),
  script('dbt', 'commands', 'io.kestra.plugin.dbt.cli.DbtCLI', 'dbt.DbtCLI'),
  { kind: 'log', canonical: 'io.kestra.plugin.core.log.Log', names: ['io.kestra.plugin.core.log.Log', 'Log'] },
  {
    kind: 'outputValues',
    canonical: 'io.kestra.plugin.core.output.OutputValues',
    names: ['io.kestra.plugin.core.output.OutputValues', 'OutputValues'],
  },
  { kind: 'parallel', canonical: 'io.kestra.plugin.core.flow.Parallel', names: ['io.kestra.plugin.core.flow.Parallel', 'Parallel'] },
  {
    kind: 'sequential',
    canonical: 'io.kestra.plugin.core.flow.Sequential',
    names: ['io.kestra.plugin.core.flow.Sequential', 'Sequential'],
  },
  {
    kind: 'podCreate',
    canonical: 'io.kestra.plugin.kubernetes.core.PodCreate',
    names: ['io.kestra.plugin.kubernetes.core.PodCreate', 'io.kestra.plugin.kubernetes.PodCreate', 'PodCreate'],
  },
];

const TASK_TYPES = new Map<string, TaskTypeInfo>(
  TASK_TYPE_ENTRIES.flatMap(({ names, ...info }) => names.map((name) => [name, info] as const)),
);

/** Every accepted task type name, full names and aliases. */
export const TASK_TYPE_NAMES: readonly string[] = [...TASK_TYPES.keys()];

export function lookupTaskType(type: string): TaskTypeInfo | undefined {
  return TASK_TYPES.get(type);
}

/** Accepted names of each task kind, for schemas discriminated by `type`. */
export function taskTypeNamesOf(kind: TaskKind): string[] {
  return TASK_TYPE_ENTRIES.filter((entry) => entry.kind === kind).flatMap((entry) => entry.names);
}

const RUNNER_TYPES = new Map<string, RunnerKind>([
  ['io.kestra.plugin.core.runner.Process', 'process'],
  ['Process', 'process'],
  ['io.kestra.plugin.scripts.runner.docker.Docker', 'docker'],
  ['Docker', 'docker'],
  ['io.kestra.plugin.ee.kubernetes.runner.Kubernetes', 'kubernetes'],
  ['io.kestra.plugin.kubernetes.runner.Kubernetes', 'kubernetes'],
  ['Kubernetes', 'kubernetes'],
]);

export const DEFAULT_RUNNER_TYPE = 'io.kestra.plugin.core.runner.Process';

/** Every accepted task runner type name. */
export const RUNNER_TYPE_NAMES: readonly string[] = [...RUNNER_TYPES.keys()];

export function lookupRunnerType(type: string): RunnerKind | undefined {
  return RUNNER_TYPES.get(type);
}

export function runnerTypeNamesOf(kind: RunnerKind): string[] {
  return RUNNER_TYPE_NAMES.filter((name) => RUNNER_TYPES.get(name) === kind);
}

const CANONICAL_RUNNER_TYPES: Record<RunnerKind, string> = {
  process: 'io.kestra.plugin.core.runner.Process',
  docker: 'io.kestra.plugin.scripts.runner.docker.Docker',
  kubernetes: 'io.kestra.plugin.ee.kubernetes.runner.Kubernetes',
};

/** The Kestra full name of a task or runner alias, so pluginDefaults keyed by Kestra prefixes match aliases too. */
export function canonicalTypeName(type: string): string | undefined {
  const task = TASK_TYPES.get(type);
  if (task) return task.canonical;
  const runner = RUNNER_TYPES.get(type);
  return runner ? CANONICAL_RUNNER_TYPES[runner] : undefined;
}
