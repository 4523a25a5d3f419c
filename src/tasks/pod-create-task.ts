import { mkdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { renderDeep } from '../expr/index.ts';
import type { PodCreateTask } from '../flow/model.ts';
import { CONTAINER_WORKING_DIR, runPodCreate } from '../runners/kubernetes/index.ts';
import { TaskFailedError } from '../shared/errors.ts';
import type { TaskContext, TaskOutcome } from './contract.ts';
import { OutputReader } from './output-reader.ts';
import { OUTPUT_DIR_NAME, collectOutputFiles, renderInputFiles, uriMap } from './script/script-task.ts';
import { assertSafeOutputPattern, writeInputFiles } from './script/working-dir.ts';

/**
 * `io.kestra.plugin.kubernetes.PodCreate`: runs the user's pod spec (plus the file init container
 * and sidecar when files travel), streams every container's logs, and exposes `metadata`, `status`,
 * `vars` and `outputFiles`.
 */
export async function runPodCreateTask(task: PodCreateTask, ctx: TaskContext): Promise<TaskOutcome> {
  ctx.recordRunner('kubernetes');
  const scope = { ...ctx.scope, workingDir: CONTAINER_WORKING_DIR, outputDir: posix.join(CONTAINER_WORKING_DIR, OUTPUT_DIR_NAME) };
  const render = <T>(value: T, property: string): T => renderDeep(value, scope, ctx.runtime, `task '${task.id}', property '${property}'`);
  const outputGlobs = render(task.outputFiles, 'outputFiles');
  outputGlobs.forEach((pattern, i) => assertSafeOutputPattern(pattern, `task '${task.id}', property 'outputFiles[${i}]'`));
  if (!ctx.resume) {
    await mkdir(join(ctx.attemptDir, OUTPUT_DIR_NAME), { recursive: true });
    await writeInputFiles(ctx.attemptDir, renderInputFiles(task.inputFiles, render), ctx.storage);
  }
  const printed = await OutputReader.open(ctx);
  let result;
  try {
    result = await runPodCreate({
      identity: ctx.identity,
      hostWorkingDir: ctx.attemptDir,
      outputDirName: OUTPUT_DIR_NAME,
      outputGlobs,
      signal: ctx.signal,
      log: printed.accept,
      notice: ctx.notice,
      progress: ctx.progress,
      resume: ctx.resume,
      saveResumeHandle: ctx.saveResumeHandle,
      taskTimeoutMs: ctx.timeoutMs,
      namespace: task.namespace === undefined ? undefined : render(task.namespace, 'namespace'),
      settings: ctx.runnerSettings?.kubernetes,
      metadata: render(task.metadata, 'metadata'),
      spec: render(task.spec, 'spec'),
      connection: task.connection ? render(task.connection, 'connection') : undefined,
      waitUntilRunningMs: task.waitUntilRunningMs,
      waitRunningMs: task.waitRunningMs,
      delete: task.delete,
      resumeEnabled: task.resume,
      fileSidecar: render(task.fileSidecar, 'fileSidecar'),
      containerDefaultSpec: task.containerDefaultSpec ? render(task.containerDefaultSpec, 'containerDefaultSpec') : undefined,
    });
  } finally {
    const outputFiles = await collectOutputFiles(ctx, ctx.attemptDir, outputGlobs);
    ctx.recordOutputs({ vars: printed.vars, outputFiles: uriMap(outputFiles) }, outputFiles);
  }
  ctx.recordOutputs({ ...printed.vars, vars: printed.vars, metadata: result.metadata, status: result.status, exitCode: result.exitCode });
  if (result.exitCode !== 0) {
    throw new TaskFailedError(`task '${task.id}' failed: the pod's container exited with code ${result.exitCode}`, { exitCode: result.exitCode });
  }
  return { state: 'SUCCESS', exitCode: result.exitCode };
}
