/**
 * Finds the flow a Subflow task names, by namespace and id: for an execution of a deployed flow,
 * among the flows deployed to the store; else among the flow files (`*.yaml`, `*.yml`) directly
 * in the given folders, where a file is read in full only when its id and namespace match and
 * files that do not parse are passed over.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Flow, TaskDef } from '../flow/model.ts';
import { parseFlow } from '../flow/parse.ts';
import { isExpression } from '../flow/schema-kit.ts';
import { HarrierError } from '../shared/errors.ts';
import type { Store } from '../store/index.ts';
import { childTasks } from '../tasks/index.ts';

export interface FoundFlow {
  flow: Flow;
  source: string;
  file: string;
  /** The revision of a deployed flow. */
  revision?: number;
}

/** The name that locates messages about a deployed flow, which has no file. */
export function deployedFlowFile(namespace: string, flowId: string): string {
  return `${namespace}/${flowId}.yaml`;
}

/** The deployed flow's latest revision, or the one asked for; a deleted flow is not found. */
export async function findDeployedFlow(store: Pick<Store, 'getFlow' | 'flowRevisions'>, namespace: string, flowId: string, revision?: number): Promise<FoundFlow> {
  const latest = await store.getFlow(namespace, flowId);
  const deployed = latest && revision !== undefined && revision !== latest.revision
    ? (await store.flowRevisions(namespace, flowId)).find((flow) => flow.revision === revision)
    : latest;
  if (!deployed) {
    const what = latest ? `flow ${namespace}.${flowId} has no revision ${revision} (the latest is ${latest.revision})` : `no flow ${namespace}.${flowId} is deployed`;
    throw new HarrierError(what, {
      code: 'SUBFLOW_NOT_FOUND',
      hint: latest ? `GET /api/v1/flows/${namespace}/${flowId}/revisions lists them` : 'deploy it first: POST /api/v1/flows, or put its file in the server\'s --flows folder',
    });
  }
  const file = deployedFlowFile(namespace, flowId);
  return { flow: parseFlow(deployed.source, file), source: deployed.source, file, revision: deployed.revision };
}

export async function findFlow(dirs: readonly string[], namespace: string, flowId: string): Promise<FoundFlow> {
  for (const dir of dirs) {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      const source = await readFile(file, 'utf8').catch(() => undefined);
      if (source === undefined || !declares(source, namespace, flowId)) continue;
      return { flow: parseFlow(source, file), source, file };
    }
  }
  throw new HarrierError(`no flow ${namespace}.${flowId} in ${dirs.join(', ')}`, {
    code: 'SUBFLOW_NOT_FOUND',
    hint: 'put the subflow\'s file next to the flow that calls it, or pass its folder with --flows DIR',
  });
}

function declares(source: string, namespace: string, flowId: string): boolean {
  try {
    const document = parseYaml(source) as { id?: unknown; namespace?: unknown } | null;
    return document?.id === flowId && document?.namespace === namespace;
  } catch {
    return false;
  }
}

/**
 * The flows the Subflow tasks of `flow` name, then theirs, found among the flow files of `dirs` as
 * `harrier run` finds them (each once). A name with an expression, or one no file declares, is left
 * to where the flow runs.
 */
export async function localSubflows(flow: Flow, dirs: readonly string[]): Promise<FoundFlow[]> {
  const seen = new Set([`${flow.namespace}.${flow.id}`]);
  const found: FoundFlow[] = [];
  const visitFlow = (each: Flow): Promise<void> => visit([...each.tasks, ...each.errors, ...each.finally, ...each.afterExecution]);
  const visit = async (tasks: readonly TaskDef[]): Promise<void> => {
    for (const task of tasks) {
      await visit(childTasks(task).map((child) => child.task));
      if (task.kind !== 'subflow' || isExpression(task.namespace) || isExpression(task.flowId) || seen.has(`${task.namespace}.${task.flowId}`)) continue;
      seen.add(`${task.namespace}.${task.flowId}`);
      const child = await findFlow(dirs, task.namespace, task.flowId).catch(() => undefined);
      if (!child) continue;
      found.push(child);
      await visitFlow(child.flow);
    }
  };
  await visitFlow(flow);
  return found;
}
