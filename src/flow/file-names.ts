/**
 * The rule for file names and output patterns that a flow gives (`inputFiles` names, `outputFiles`
 * patterns): relative, and never leaving the task's working directory. One rule, used by
 * `harrier validate` on the literal names and by the task at run time on the rendered ones.
 */
import { posix } from 'node:path';
import { hasExpression } from '../expr/index.ts';
import type { Problem } from './check-flow.ts';
import type { InputDef, TaskDef } from './model.ts';
import type { PathSegment } from './yaml-source.ts';
import { childTasks } from '../tasks/index.ts';

export const RELATIVE_NAME_HINT = 'remove leading "/" and any ".." from the name';
export const OUTPUT_PATTERN_HINT = 'write patterns relative to the working directory, e.g. "*.csv" or "reports/**"';

/** The name with `/` separators and `.`/`..` folded away; `\` counts as a separator, as on Windows. */
export function normalizeRelativeName(name: string): string {
  return posix.normalize(name.replace(/\\/g, '/'));
}

/** What is wrong with `name` as a file name inside the working directory, or undefined when it is fine. */
export function relativeNameProblem(name: string): string | undefined {
  const normalized = normalizeRelativeName(name);
  const outside = name.trim() === '' || normalized.startsWith('/') || normalized === '..' || normalized.startsWith('../') || normalized === '.';
  return outside ? `'${name}' must be a relative file name inside the working directory` : undefined;
}

/** What is wrong with an `outputFiles` pattern (glob, `glob:` or `regex:`), or undefined. */
export function outputPatternProblem(pattern: string): string | undefined {
  // Output matching reads `\` in a glob as `/`; in a regex it escapes.
  const glob = pattern.startsWith('regex:') ? pattern.slice('regex:'.length) : pattern.replace(/^glob:/, '').replace(/\\/g, '/');
  return glob.startsWith('/') || glob.split('/').includes('..') ? `'${pattern}' reaches outside the working directory` : undefined;
}

/**
 * Literal `inputFiles` names and `outputFiles` patterns of every task that break the rule. Patterns
 * holding an expression are left to run time, where they are checked once rendered.
 */
export function taskFileNameProblems(tasks: readonly TaskDef[], path: PathSegment[] = ['tasks']): Problem[] {
  return eachTask(tasks, path, (task, at): Problem[] => {
    if (task.kind !== 'script' && task.kind !== 'podCreate' && task.kind !== 'workingDirectory') return [];
    const problems: Problem[] = [];
    if (typeof task.inputFiles !== 'string') {
      for (const name of Object.keys(task.inputFiles)) {
        const problem = relativeNameProblem(name);
        if (problem) problems.push({ path: [...at, 'inputFiles', name], message: `${problem} (${RELATIVE_NAME_HINT})`, at: 'key' });
      }
    }
    task.outputFiles.forEach((pattern, i) => {
      const problem = hasExpression(pattern) ? undefined : outputPatternProblem(pattern);
      if (problem) problems.push({ path: [...at, 'outputFiles', i], message: `${problem} (${OUTPUT_PATTERN_HINT})` });
    });
    return problems;
  });
}

/** `visit` on every task of the list and, depth first, on every task inside a flowable, with its path. */
function eachTask(tasks: readonly TaskDef[], path: PathSegment[], visit: (task: TaskDef, at: PathSegment[]) => Problem[]): Problem[] {
  const walk = (task: TaskDef, at: PathSegment[]): Problem[] => [
    ...visit(task, at),
    ...childTasks(task).flatMap((child) => walk(child.task, [...at, ...child.at])),
  ];
  return tasks.flatMap((task, index) => walk(task, [...path, index]));
}

export const FILE_DEFAULTS_MESSAGE = "a FILE input cannot have 'defaults': a flow may not choose which host file Harrier reads";

/** FILE inputs with `defaults`: refused, as Kestra does, since the default would name a host file. */
export function fileInputDefaultProblems(inputs: readonly InputDef[]): Problem[] {
  return inputs.flatMap((input, index): Problem[] => (input.type === 'FILE' && input.defaults !== undefined
    ? [{ path: ['inputs', index, 'defaults'], message: `${FILE_DEFAULTS_MESSAGE} (remove it, and pass the file with --input ${input.id}=@path)`, at: 'key' }]
    : []));
}

/** Kubernetes connection properties that name a file on the host running harrier. */
export const HOST_FILE_CONNECTION_KEYS = ['caCertFile', 'clientCertFile', 'clientKeyFile'] as const;

export function hostFileConnectionMessage(key: string): string {
  return `'${key}' names a file on the host, which a flow may not make harrier read `
    + `(give its content in '${key.replace(/File$/, 'Data')}', or connect through your kubeconfig)`;
}

/** Kubernetes connections (a runner's `config`, a PodCreate's `connection`) that name host files. */
export function hostFileConnectionProblems(tasks: readonly TaskDef[], path: PathSegment[] = ['tasks']): Problem[] {
  return eachTask(tasks, path, (task, at): Problem[] => {
    const found = task.kind === 'podCreate' ? { connection: task.connection, where: [...at, 'connection'] }
      : task.kind === 'script' && task.taskRunner.kind === 'kubernetes'
        ? { connection: task.taskRunner.properties.config as Record<string, unknown> | undefined, where: [...at, 'taskRunner', 'config'] }
        : undefined;
    if (!found?.connection || typeof found.connection !== 'object') return [];
    return HOST_FILE_CONNECTION_KEYS.filter((key) => found.connection![key] !== undefined)
      .map((key) => ({ path: [...found.where, key], message: hostFileConnectionMessage(key), at: 'key' as const }));
  });
}
