/**
 * Validation of a flow's plain data (pluginDefaults already known) and construction of the typed
 * model. Every problem is collected, with its path, so the caller can report them all at once.
 */
import type { z } from 'zod';
import { findExpressionSyntaxErrors } from '../expr/index.ts';
import { DEFAULT_RUNNER, RUNNERS, runnerOfKind, type RunnerKind } from '../runners/table.ts';
import { parseIsoDuration } from '../shared/duration.ts';
import type { Flow, InputDef, InputType, LogLevel, RetryPolicy, TaskDef, TaskRunnerDef, TriggerDef } from './model.ts';
import { triggerSchema } from '../triggers/common.ts';
import { lookupTriggerType, TRIGGER_TYPE_NAMES } from '../triggers/table.ts';
import { flowValidationSchema, inputSchema, pluginDefaultSchema } from './flow-schemas.ts';
import type { retrySchema } from './flow-schemas.ts';
import { applyPluginDefaults, isPlainMap } from './plugin-defaults.ts';
import type { PlainMap, PluginDefault } from './plugin-defaults.ts';
import { inputValueProblem } from './input-values.ts';
import { describeType, isExpression, MISSING_KEY } from './schema-kit.ts';
import { closeMatches, nearest } from '../shared/suggest.ts';
import { canonicalTypeName, lookupRunnerType, lookupTaskType, RUNNER_TYPE_NAMES, TASK_TYPE_NAMES } from './task-types.ts';
import type { TaskType } from './task-types.ts';
import { variantCheck, type ChildSlotKind } from './variant-check.ts';
import type { TaskParts } from '../tasks/descriptor.ts';
import { formatPath } from './yaml-source.ts';
import type { PathSegment } from './yaml-source.ts';

export interface Problem {
  path: PathSegment[];
  message: string;
  /** Point at the key rather than its value (unknown keys). */
  at?: 'key' | 'value';
  /** Point inside the string at `path` (expression errors). */
  offsetInString?: number;
}

export type FlowBody = Omit<Flow, 'source' | 'warnings'>;

export function checkFlow(document: unknown): { flow?: FlowBody; problems: Problem[]; warnings: Problem[] } {
  const checker = new FlowChecker();
  const flow = checker.flow(document);
  return { flow: checker.problems.length === 0 ? flow : undefined, problems: checker.problems, warnings: checker.warnings };
}

/** The runner kind Kestra's deprecated `runner: PROCESS | DOCKER` stands for. */
const DEPRECATED_RUNNERS: Record<string, RunnerKind> = { PROCESS: 'process', DOCKER: 'docker' };

class FlowChecker {
  readonly problems: Problem[] = [];
  /** Accepted, but worth telling: deprecated spellings. */
  readonly warnings: Problem[] = [];
  private readonly taskIds = new Map<string, string>();

  flow(document: unknown): FlowBody | undefined {
    if (document === undefined || document === null) {
      this.problems.push({ path: [], message: 'the file is empty: expected a flow with id, namespace and tasks' });
      return undefined;
    }
    if (!isPlainMap(document)) {
      this.problems.push({ path: [], message: `expected a flow map (id, namespace, tasks, ...), got ${describeType(document)}` });
      return undefined;
    }
    const { pluginDefaults: rawDefaults, taskDefaults: rawTaskDefaults, ...rest } = document;
    const defaults = [...this.pluginDefaults(rawDefaults, 'pluginDefaults'), ...this.pluginDefaults(rawTaskDefaults, 'taskDefaults')];
    const merged = applyPluginDefaults(rest, defaults, { canonicalType: canonicalTypeName }) as PlainMap;

    const parsed = this.parse(flowValidationSchema(), merged, []);
    const taskList = (key: 'tasks' | 'errors' | 'finally' | 'afterExecution'): TaskDef[] => {
      const list = merged[key];
      return Array.isArray(list) ? list.map((task, index) => this.task(task, [key, index])) as TaskDef[] : [];
    };
    const tasks = taskList('tasks');
    const handlers = { errors: taskList('errors'), finally: taskList('finally'), afterExecution: taskList('afterExecution') };
    const inputs = Array.isArray(merged.inputs) ? this.inputs(merged.inputs) : [];
    const triggers = Array.isArray(merged.triggers) ? this.triggers(merged.triggers) : [];
    const runnerDefaults = this.runnerDefaults(defaults);
    this.expressions(merged, []);
    if (!parsed || this.problems.length > 0) return undefined;

    return compact({
      id: parsed.id,
      namespace: parsed.namespace,
      description: parsed.description,
      labels: Array.isArray(parsed.labels)
        ? Object.fromEntries(parsed.labels.map(({ key, value }) => [key, value]))
        : parsed.labels,
      inputs,
      variables: parsed.variables,
      tasks,
      ...handlers,
      outputs: parsed.outputs.map((output) => compact({ ...output, type: output.type as InputType })),
      retry: parsed.retry && retryPolicy(parsed.retry),
      triggers,
      runnerDefaults,
    });
  }

  /**
   * Each runner's properties from the pluginDefaults that name its type exactly (a prefix such as
   * `io.kestra.plugin.scripts` is meant for tasks), checked by the runner's schema.
   */
  private runnerDefaults(defaults: PluginDefault[]): Flow['runnerDefaults'] {
    const found: Flow['runnerDefaults'] = {};
    for (const runner of RUNNERS) {
      const type = runner.types[0];
      const named = defaults.filter((entry) => (runner.types as readonly string[]).includes(entry.type));
      const withDefaults = applyPluginDefaults({ type }, named, { canonicalType: canonicalTypeName }) as PlainMap;
      if (Object.keys(withDefaults).length === 1) continue;
      const checked = this.taskRunner(withDefaults, ['pluginDefaults']);
      if (checked) found[runner.kind] = checked.properties;
    }
    return found;
  }

  /** `pluginDefaults`, or `taskDefaults`, the name Kestra gave them before. */
  private pluginDefaults(raw: unknown, key: 'pluginDefaults' | 'taskDefaults'): PluginDefault[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      this.problems.push({ path: [key], message: `expected a list of plugin defaults, got ${describeType(raw)}` });
      return [];
    }
    return raw.flatMap((entry, index) => {
      const parsed = this.parse(pluginDefaultSchema(), entry, [key, index]);
      return parsed ? [parsed] : [];
    });
  }

  /** Parse with a schema; on failure record its issues and return undefined. */
  private parse<Schema extends z.ZodType>(
    schema: Schema,
    value: unknown,
    path: PathSegment[],
    tolerateExpressions = false,
  ): z.output<Schema> | undefined {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const problems = zodProblems(result.error, path, value, tolerateExpressions);
    this.problems.push(...problems);
    // Only issues about unrendered expressions were found: the value is fine for now.
    return problems.length === 0 ? (value as z.output<Schema>) : undefined;
  }

  private task(raw: unknown, path: PathSegment[]): TaskDef | undefined {
    if (!isPlainMap(raw)) {
      this.problems.push({ path, message: `expected a task (a map with id and type), got ${describeType(raw)}` });
      return undefined;
    }
    const before = this.problems.length;
    this.recordTaskId(raw.id, path);
    const type = this.taskType(raw.type, path);
    const check = type && variantCheck(type.variant);
    const children = this.children(raw, path, check ? check.children : [['tasks', 'list']]);
    if (!type || !check) return undefined;

    const properties = this.parse(check.schema, raw, path);
    const taskRunner = check.runnerKey === undefined ? undefined : this.taskRunner(this.runnerOf(raw, check.runnerKey, path), [...path, check.runnerKey]);
    for (const [key, schema] of check.settings) {
      // Unrendered here; the task parses them again once rendered.
      if (raw[key] !== undefined) this.parse(schema, raw[key], [...path, key], true);
    }
    if (properties && this.problems.length === before) {
      for (const problem of type.descriptor.problems?.(properties) ?? []) this.problems.push({ path: [...path, ...problem.path], message: problem.message });
    }
    if (!properties || this.problems.length > before) return undefined;
    const common = base(properties as unknown as ParsedCommon, formatPath(path));
    return compact(type.descriptor.model({
      type: type.canonical, properties, raw, tasks: children.lists.tasks ?? [], ...children, taskRunner,
    }, common));
  }

  /** The models of the child tasks in each property that holds some, walked whatever the task's own problems. */
  private children(raw: PlainMap, path: PathSegment[], slots: ReadonlyArray<[string, ChildSlotKind]>): Pick<TaskParts, 'lists' | 'maps' | 'dag'> {
    const found: Pick<TaskParts, 'lists' | 'maps' | 'dag'> = { lists: {}, maps: {}, dag: [] };
    const list = (value: unknown, at: PathSegment[]): TaskDef[] => (Array.isArray(value)
      ? value.map((child, index) => this.task(child, [...at, index])) as TaskDef[]
      : []);
    for (const [key, kind] of slots) {
      const value = raw[key];
      if (kind === 'list') found.lists[key] = list(value, [...path, key]);
      else if (kind === 'map' && isPlainMap(value)) {
        found.maps[key] = Object.fromEntries(Object.entries(value).map(([name, tasks]) => [name, list(tasks, [...path, key, name])]));
      } else if (kind === 'dag' && Array.isArray(value)) {
        found.dag = value.flatMap((entry, index) => (isPlainMap(entry) && entry.task !== undefined
          ? [{ task: this.task(entry.task, [...path, key, index, 'task']) as TaskDef, dependsOn: Array.isArray(entry.dependsOn) ? entry.dependsOn as string[] : [] }]
          : []));
      }
    }
    return found;
  }

  /** The task's `taskRunner`, or the one its deprecated `runner` names. */
  private runnerOf(raw: PlainMap, runnerKey: string, path: PathSegment[]): unknown {
    const named = typeof raw.runner === 'string' ? DEPRECATED_RUNNERS[raw.runner.toUpperCase()] : undefined;
    if (named === undefined) return raw[runnerKey];
    const type = runnerOfKind(named).types[0];
    if (raw[runnerKey] !== undefined) {
      this.problems.push({ path: [...path, 'runner'], message: `'runner' is the deprecated way to pick a task runner: give only '${runnerKey}'` });
      return raw[runnerKey];
    }
    this.warnings.push({ path: [...path, 'runner'], message: `'runner: ${raw.runner}' is deprecated: write '${runnerKey}: { type: ${type} }' (Harrier runs it so)` });
    return { type };
  }

  private recordTaskId(id: unknown, path: PathSegment[]): void {
    if (typeof id !== 'string') return;
    const first = this.taskIds.get(id);
    if (first === undefined) this.taskIds.set(id, formatPath(path));
    else this.problems.push({ path: [...path, 'id'], message: `duplicate task id '${id}': already used by ${first}; task ids must be unique in the whole flow` });
  }

  private taskType(type: unknown, path: PathSegment[]): TaskType | undefined {
    if (type === undefined) {
      this.problems.push({ path: [...path, 'type'], message: `missing required key 'type'` });
      return undefined;
    }
    if (typeof type !== 'string') {
      this.problems.push({ path: [...path, 'type'], message: `expected a task type (a string), got ${describeType(type)}` });
      return undefined;
    }
    const info = lookupTaskType(type);
    if (!info) this.problems.push({ path: [...path, 'type'], message: unknownTypeMessage('task type', type, TASK_TYPE_NAMES) });
    return info;
  }

  private taskRunner(raw: unknown, path: PathSegment[]): TaskRunnerDef | undefined {
    if (raw === undefined) return { type: DEFAULT_RUNNER.types[0], kind: DEFAULT_RUNNER.kind, properties: {} };
    if (!isPlainMap(raw)) {
      this.problems.push({ path, message: `expected a task runner (a map with a type), got ${describeType(raw)}` });
      return undefined;
    }
    const { type, ...properties } = raw;
    if (typeof type !== 'string') {
      this.problems.push(type === undefined
        ? { path: [...path, 'type'], message: `missing required key 'type'` }
        : { path: [...path, 'type'], message: `expected a task runner type (a string), got ${describeType(type)}` });
      return undefined;
    }
    const kind = lookupRunnerType(type);
    if (!kind) {
      this.problems.push({ path: [...path, 'type'], message: unknownTypeMessage('task runner type', type, RUNNER_TYPE_NAMES) });
      return undefined;
    }
    // Properties stay unrendered in the model; the runner parses them again once rendered.
    const valid = this.parse(runnerOfKind(kind).schema(), properties, path, true);
    return valid === undefined ? undefined : { type, kind, properties };
  }

  private triggers(raw: unknown[]): TriggerDef[] {
    const seen = new Set<string>();
    return raw.flatMap((entry, index) => {
      const path: PathSegment[] = ['triggers', index];
      if (!isPlainMap(entry)) {
        this.problems.push({ path, message: `expected a trigger (a map with id and type), got ${describeType(entry)}` });
        return [];
      }
      if (typeof entry.id === 'string') {
        if (seen.has(entry.id)) this.problems.push({ path: [...path, 'id'], message: `duplicate trigger id '${entry.id}'; trigger ids must be unique in the flow` });
        seen.add(entry.id);
      }
      if (typeof entry.type !== 'string') {
        this.problems.push(entry.type === undefined
          ? { path: [...path, 'type'], message: `missing required key 'type'` }
          : { path: [...path, 'type'], message: `expected a trigger type (a string), got ${describeType(entry.type)}` });
        return [];
      }
      const descriptor = lookupTriggerType(entry.type);
      if (!descriptor) {
        this.problems.push({ path: [...path, 'type'], message: unknownTypeMessage('trigger type', entry.type, TRIGGER_TYPE_NAMES) });
        return [];
      }
      const before = this.problems.length;
      const parsed = this.parse(triggerSchema(descriptor.properties()), entry, path, true);
      if (entry.taskRunner !== undefined) this.taskRunner(entry.taskRunner, [...path, 'taskRunner']);
      if (!parsed || this.problems.length > before) return [];
      const { id, type: _type, disabled, ...properties } = parsed as Record<string, unknown>;
      return [{ id: id as string, type: descriptor.types[0], disabled: disabled as boolean, properties }];
    });
  }

  private inputs(raw: unknown[]): InputDef[] {
    const seen = new Set<string>();
    return raw.flatMap((entry, index) => {
      const path: PathSegment[] = ['inputs', index];
      const rawId = isPlainMap(entry) ? (entry.id ?? entry.name) : undefined;
      if (typeof rawId === 'string') {
        const idKey = isPlainMap(entry) && entry.id !== undefined ? 'id' : 'name';
        if (seen.has(rawId)) this.problems.push({ path: [...path, idKey], message: `duplicate input id '${rawId}'` });
        seen.add(rawId);
      }
      const input = this.parse(inputSchema(), entry, path);
      if (!input) return [];
      const before = this.problems.length;
      if (input.id !== undefined && input.name !== undefined) {
        this.problems.push({ path: [...path, 'name'], message: `'name' is the deprecated spelling of 'id': give only 'id'` });
      }
      const id = input.id ?? input.name;
      if (id === undefined) this.problems.push({ path, message: `missing required key 'id'` });

      const choice = input.type === 'ENUM' || input.type === 'SELECT' || input.type === 'MULTISELECT';
      if (choice && (input.values === undefined || input.values.length === 0)) {
        this.problems.push({ path, message: `an ${input.type} input needs 'values', a non-empty list of strings` });
      }
      if (!choice && input.values !== undefined) {
        this.problems.push({ path: [...path, 'values'], message: `'values' only applies to ENUM, SELECT and MULTISELECT inputs` });
      }
      if (input.type !== 'ARRAY' && input.itemType !== undefined) {
        this.problems.push({ path: [...path, 'itemType'], message: `'itemType' only applies to ARRAY inputs` });
      }
      if (input.defaults !== undefined && !isExpression(input.defaults) && this.problems.length === before) {
        const problem = inputValueProblem(input, input.defaults);
        if (problem) this.problems.push({ path: [...path, 'defaults'], message: `the default does not fit type ${input.type}: ${problem}` });
      }
      if (this.problems.length > before || id === undefined) return [];
      return [compact({
        id,
        type: input.type as InputType,
        displayName: input.displayName,
        description: input.description,
        required: input.required,
        defaults: input.defaults,
        values: input.values,
        itemType: input.itemType as InputType | undefined,
      })];
    });
  }

  /** Every string of the flow must hold well-formed `{{ ... }}` / `{% ... %}` expressions. */
  private expressions(value: unknown, path: PathSegment[]): void {
    if (typeof value === 'string') {
      if (!value.includes('{')) return;
      for (const error of findExpressionSyntaxErrors(value)) {
        this.problems.push({ path, message: `invalid expression: ${error.message}`, offsetInString: error.offset });
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => this.expressions(item, [...path, index]));
    } else if (isPlainMap(value)) {
      for (const [key, item] of Object.entries(value)) this.expressions(item, [...path, key]);
    }
  }
}

function unknownTypeMessage(what: string, type: string, known: readonly string[]): string {
  const close = closeMatches(type, known, 2);
  if (close.length > 0) return `unknown ${what} '${type}' (did you mean ${close.map((name) => `'${name}'`).join(' or ')}?)`;
  return `unknown ${what} '${type}': Harrier does not implement it (nearest known: ${nearest(type, known, 3).join(', ')})`;
}

function zodProblems(error: z.ZodError, prefix: PathSegment[], value: unknown, tolerateExpressions: boolean): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    const relative = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
    const path = [...prefix, ...relative];
    if (tolerateExpressions && isExpression(valueAt(value, relative))) return [];
    if (issue.code === 'unrecognized_keys') {
      const lines = issue.message.split('\n');
      return issue.keys.map((key, index) => ({ path: [...path, key], message: lines[index] ?? `unknown key '${key}'`, at: 'key' as const }));
    }
    if (issue.message === MISSING_KEY) return [{ path, message: `missing required key '${String(path.at(-1))}'` }];
    return [{ path, message: issue.message }];
  });
}

function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isPlainMap(current) && typeof segment === 'string') current = current[segment];
    else return undefined;
  }
  return current;
}

function ms(isoDuration: string): number {
  return parseIsoDuration(isoDuration) as number;
}

interface ParsedCommon {
  id: string;
  type: string;
  description?: string;
  retry?: z.output<ReturnType<typeof retrySchema>>;
  timeout?: string;
  disabled: boolean;
  allowFailure: boolean;
  allowWarning: boolean;
  runIf: string;
  logLevel?: LogLevel;
}

function base(task: ParsedCommon, path: string) {
  return {
    id: task.id,
    type: task.type,
    description: task.description,
    retry: task.retry && retryPolicy(task.retry),
    timeoutMs: task.timeout === undefined ? undefined : ms(task.timeout),
    disabled: task.disabled,
    allowFailure: task.allowFailure,
    allowWarning: task.allowWarning,
    runIf: task.runIf,
    logLevel: task.logLevel,
    path,
  };
}

function retryPolicy(retry: NonNullable<ParsedCommon['retry']>): RetryPolicy {
  const optionalMs = (text: string | undefined) => (text === undefined ? undefined : ms(text));
  return compact({
    type: retry.type,
    intervalMs: optionalMs(retry.interval),
    maxIntervalMs: optionalMs(retry.maxInterval),
    minIntervalMs: optionalMs(retry.minInterval),
    delayFactor: retry.delayFactor,
    maxAttempt: retry.maxAttempt ?? retry.maxAttempts,
    maxDurationMs: optionalMs(retry.maxDuration),
    warningOnRetry: retry.warningOnRetry,
    behavior: retry.behavior,
  });
}

/** The same object without its undefined properties, so models compare and print cleanly. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}
