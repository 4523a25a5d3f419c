import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { renderDeep } from '../../expr/index.ts';
import { listOutputFiles } from '../../runners/shared/output-match.ts';
import type { State, StoredFile } from '../../store/index.ts';
import type { FlowableContext } from '../flowable.ts';
import { copyNamespaceFilesInto, renderInputFiles } from '../script/script-task.ts';
import { assertSafeOutputPattern, writeInputFiles } from '../script/working-dir.ts';
import type { WorkingDirectoryTask } from './descriptor.ts';

/**
 * `io.kestra.plugin.core.flow.WorkingDirectory`: one host folder, prepared once (namespace files,
 * input files), is the working directory of every script task inside; what one task writes there
 * the next one finds. Kept across a crash so `harrier resume` goes on in it; removed at the end,
 * after `outputFiles` are stored (on a kill, without storing them).
 */
export async function runWorkingDirectory(task: WorkingDirectoryTask, ctx: FlowableContext): Promise<State> {
  const hostDir = join(ctx.workDir, 'shared');
  const render = <T>(value: T, property: string): T => renderDeep(value, ctx.scope(), ctx.runtime, `task '${task.id}', property '${property}'`);
  if (task.cache) ctx.notice('WARN', `task '${task.id}': 'cache' is not implemented by Harrier; the folder starts empty in every execution`);
  if (!(await exists(hostDir))) await prepare(task, ctx, hostDir, render);
  try {
    return await ctx.sequence(task.tasks, ctx.withSharedDir({ hostDir, taskId: task.id }));
  } finally {
    // Kept only when the store stopped writing (a full disk): `harrier resume` goes on in it.
    if (ctx.killed()) await rm(hostDir, { recursive: true, force: true });
    else if (!ctx.stopped()) {
      await ctx.recordOutputs({ outputFiles: await storeOutputFiles(task, ctx, hostDir, render) });
      await rm(hostDir, { recursive: true, force: true });
    }
  }
}

/** Prepared aside and renamed into place, so that a crash while preparing starts it again. */
async function prepare(task: WorkingDirectoryTask, ctx: FlowableContext, hostDir: string, render: <T>(value: T, property: string) => T): Promise<void> {
  const preparing = `${hostDir}.preparing`;
  await rm(preparing, { recursive: true, force: true });
  await mkdir(preparing, { recursive: true });
  await copyNamespaceFilesInto(preparing, task.namespaceFiles, { ...ctx.files, notice: ctx.notice }, render);
  await writeInputFiles(preparing, renderInputFiles(task.inputFiles, render), ctx.files.storage);
  await rename(preparing, hostDir);
}

async function storeOutputFiles(
  task: WorkingDirectoryTask, ctx: FlowableContext, hostDir: string, render: <T>(value: T, property: string) => T,
): Promise<Record<string, string>> {
  const globs = render(task.outputFiles, 'outputFiles');
  if (globs.length === 0) return {};
  globs.forEach((pattern, index) => assertSafeOutputPattern(pattern, `task '${task.id}', property 'outputFiles[${index}]'`));
  const { files } = await listOutputFiles(hostDir, globs, '');
  const stored: Record<string, StoredFile> = {};
  for (const name of files) {
    stored[name] = await ctx.files.storage.put(ctx.files.storage.taskFileKey(ctx.files.scope, task.id, ctx.taskRunId, name), join(hostDir, name));
  }
  return Object.fromEntries(Object.entries(stored).map(([name, file]) => [name, file.uri]));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
