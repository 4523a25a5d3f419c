import { isSuccessful, type State } from '../../store/index.ts';
import { combineStates, type FlowableContext } from '../flowable.ts';
import type { DagTask } from './descriptor.ts';
import { readyNodes } from './graph.ts';

/**
 * `io.kestra.plugin.core.flow.Dag`: starts every task whose dependencies succeeded, at most
 * `concurrent` at once. Once one does not succeed nothing more starts; the running ones end.
 */
export async function runDag(task: DagTask, ctx: FlowableContext): Promise<State> {
  const nodes = task.tasks.map((entry) => ({ id: entry.task.id, dependsOn: entry.dependsOn }));
  const byId = new Map(task.tasks.map((entry) => [entry.task.id, entry.task]));
  const started = new Set<string>();
  const succeeded = new Set<string>(task.tasks.filter((entry) => entry.task.disabled).map((entry) => entry.task.id));
  for (const id of succeeded) started.add(id);
  const states: State[] = [];
  const running = new Map<string, Promise<void>>();
  const limit = task.concurrent > 0 ? task.concurrent : Number.POSITIVE_INFINITY;
  let failed = false;
  for (;;) {
    if (!failed && !ctx.stopped()) {
      for (const node of readyNodes(nodes, started, succeeded)) {
        if (running.size >= limit) break;
        started.add(node.id);
        running.set(node.id, ctx.one(byId.get(node.id)!).then((state) => {
          running.delete(node.id);
          states.push(state);
          if (isSuccessful(state)) succeeded.add(node.id);
          else failed = true;
        }));
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (ctx.killed()) {
    for (const node of nodes) if (!started.has(node.id)) await ctx.sequence([byId.get(node.id)!]);
  }
  return combineStates(states, ctx.killed());
}
