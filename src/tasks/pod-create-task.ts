import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { renderDeep } from '../expr/index.ts';
import type { PodCreateTask } from '../flow/model.ts';
import { runPodCreate } from '../runners/kubernetes/index.ts';
import { TaskFailedError } from '../shared/errors.ts';
import type { TaskContext, TaskOutcome } from './contract.ts';
import { OUTPUT_DIR_NAME, collectOutputFiles, renderInputFiles, uriMap } from './script/script-task.ts';
import { parseProtocolLine } from './script/protocol.ts';
import { assertSafeOutputPattern, writeInputFiles } from './script/working-dir.ts';

/** Where PodCreate's shared volume puts the working directory inside every container. */
const POD_WORKING_DIR = '/kestra/working-dir';

/**
 * `io.kestra.plugin.kubernetes.PodCreate`: runs the user's pod spec (plus the file init container
 * and sidecar when files travel), streams every container's logs, and exposes `metadata`, `status`,
 * `vars` and `outputFiles`.
 */
export async function runPodCreateTask(task: PodCreateTask, ctx: TaskContext): Promise<TaskOutcome> {
  ctx.recordRunner('kubernetes');
  const scope = { ...ctx.scope, workingDir: POD_WORKING_DIR, outputDir: `${POD_WORKING_DIR}/${OUTPUT_DIR_NAME}` };
  const render = <T>(value: T, property: string): T => renderDeep(value, scope, ctx.runtime, `task '${task.id}', property '${property}'`);
  const outputGlobs = render(task.outputFiles, 'outputFiles');
  outputGlobs.forEach((pattern, i) => assertSafeOutputPattern(pattern, `task '${task.id}', property 'outputFiles[${i}]'`));
  if (!ctx.resume) {
    await mkdir(join(ctx.attemptDir, OUTPUT_DIR_NAME), { recursive: true });
    await writeInputFiles(ctx.attemptDir, renderInputFiles(task.inputFiles, render), ctx.storage);
  }
  const vars: Record<string, unknown> = {};
  for (const { line } of ctx.resume?.storedOutput() ?? []) {
    const message = parseProtocolLine(line);
    if (message?.kind === 'message' && message.outputs) Object.assign(vars, message.outputs);
  }
  let result;
  try {
    result = await runPodCreate({
      identity: ctx.identity,
      hostWorkingDir: ctx.attemptDir,
      outputDirName: OUTPUT_DIR_NAME,
      outputGlobs,
      signal: ctx.signal,
      log: (entry) => {
        const message = parseProtocolLine(entry.line);
        if (message?.kind === 'message') {
          ctx.log({ level: 'TRACE', line: entry.line, stream: entry.stream, timestamp: entry.timestamp });
          if (message.outputs) Object.assign(vars, message.outputs);
          for (const metric of message.metrics) ctx.metric({ ...metric, timestamp: entry.timestamp });
          for (const log of message.logs) ctx.log({ level: log.level, line: log.message, timestamp: entry.timestamp });
          return;
        }
        const line = entry.container && entry.container !== 'main' ? `[${entry.container}] ${entry.line}` : entry.line;
        ctx.log({ level: 'INFO', line, stream: entry.stream, timestamp: entry.timestamp });
      },
      notice: ctx.notice,
      resume: ctx.resume,
      saveResumeHandle: ctx.saveResumeHandle,
      taskTimeoutMs: ctx.timeoutMs,
      namespace: render(task.namespace, 'namespace'),
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
    ctx.recordOutputs({ vars, outputFiles: uriMap(outputFiles) }, outputFiles);
  }
  const outputs = { ...vars, vars, metadata: result.metadata, status: result.status, exitCode: result.exitCode };
  ctx.recordOutputs(outputs);
  if (result.exitCode !== 0) {
    throw new TaskFailedError(`task '${task.id}' failed: the pod's container exited with code ${result.exitCode}`, { exitCode: result.exitCode });
  }
  return { state: 'SUCCESS', outputs };
}
