/** A Dag's dependency graph: what is wrong with it, and which tasks may start. Pure. */
import type { PathSegment } from '../../flow/yaml-source.ts';
import type { TaskProblem } from '../descriptor.ts';

export interface DagNode {
  id: string;
  dependsOn: readonly string[];
}

/** Dependencies on ids that are not tasks of the Dag, then each cycle once (`a → b → a`). */
export function dagProblems(nodes: readonly DagNode[]): TaskProblem[] {
  const ids = new Set(nodes.map((node) => node.id));
  const problems: TaskProblem[] = [];
  nodes.forEach((node, index) => node.dependsOn.forEach((dependency, position) => {
    if (!ids.has(dependency)) {
      problems.push({
        path: ['tasks', index, 'dependsOn', position] as PathSegment[],
        message: `'${node.id}' depends on '${dependency}', which is not a task of this Dag (its tasks: ${[...ids].join(', ')})`,
      });
    }
  }));
  const byId = new Map(nodes.map((node, index) => [node.id, { node, index }]));
  const done = new Set<string>();
  const reported = new Set<string>();
  const visit = (id: string, trail: string[]): void => {
    if (done.has(id)) return;
    const at = trail.indexOf(id);
    if (at >= 0) {
      const cycle = trail.slice(at);
      const key = [...cycle].sort().join(' ');
      if (!reported.has(key)) {
        reported.add(key);
        problems.push({
          path: ['tasks', byId.get(cycle[0])!.index, 'dependsOn'] as PathSegment[],
          message: `dependency cycle: ${[...cycle, id].join(' → ')} (a Dag's tasks cannot wait for each other)`,
        });
      }
      return;
    }
    for (const dependency of byId.get(id)?.node.dependsOn ?? []) {
      if (byId.has(dependency)) visit(dependency, [...trail, id]);
    }
    done.add(id);
  };
  for (const node of nodes) visit(node.id, []);
  return problems;
}

/** The tasks not started yet whose dependencies all succeeded. */
export function readyNodes(nodes: readonly DagNode[], started: ReadonlySet<string>, succeeded: ReadonlySet<string>): DagNode[] {
  return nodes.filter((node) => !started.has(node.id) && node.dependsOn.every((dependency) => succeeded.has(dependency)));
}
