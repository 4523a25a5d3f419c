/**
 * Finds the flow a Subflow task names, by namespace and id, among the flow files (`*.yaml`,
 * `*.yml`) directly in the given folders. A file is read in full only when its id and namespace
 * match; other files that do not parse are passed over.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Flow } from '../flow/model.ts';
import { parseFlow } from '../flow/parse.ts';
import { HarrierError } from '../shared/errors.ts';

export interface FoundFlow {
  flow: Flow;
  source: string;
  file: string;
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
