import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { renderDeep } from '../expr/index.ts';
import type { PodCreateTask } from '../flow/model.ts';
import { runPodCreate } from '../runners/kubernetes/index.ts';
import { TaskFailedError } from '../shared/errors.ts';
import type { LogCursor } from '../runners/contract.ts';
import { LogReplay } from '../runners/log-replay.ts';
import type { TaskContext, TaskOutcome, TaskResume } from './contract.ts';
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
  const spec = render(task.spec, 'spec');
  const vars: Record<string, unknown> = {};
  const resume = ctx.resume ? { ...ctx.resume, containerCursors: recoverStoredOutput(ctx.resume, containerNames(spec), vars) } : undefined;
  let result;
  try {
    result = await runPodCreate({
      identity: ctx.identity,
      hostWorkingDir: ctx.attemptDir,
      outputDirName: OUTPUT_DIR_NAME,
      outputGlobs,
      signal: ctx.signal,
      log: (entry) => {
        const prefix = entry.container && entry.container !== 'main' ? `[${entry.container}] ` : '';
        const message = parseProtocolLine(entry.line);
        if (message?.kind === 'message') {
          ctx.log({ level: 'TRACE', line: prefix + entry.line, stream: entry.stream, timestamp: entry.timestamp });
          if (message.outputs) Object.assign(vars, message.outputs);
          for (const metric of message.metrics) ctx.metric({ ...metric, timestamp: entry.timestamp });
          for (const log of message.logs) ctx.log({ level: log.level, line: log.message, timestamp: entry.timestamp });
          return;
        }
        ctx.log({ level: 'INFO', line: prefix + entry.line, stream: entry.stream, timestamp: entry.timestamp });
      },
      notice: ctx.notice,
      resume,
      saveResumeHandle: ctx.saveResumeHandle,
      taskTimeoutMs: ctx.timeoutMs,
      namespace: render(task.namespace, 'namespace'),
      metadata: render(task.metadata, 'metadata'),
      spec,
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

function containerNames(spec: Record<string, unknown>): string[] {
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  return containers.map((container) => String((container as { name?: unknown }).name ?? ''));
}

/**
 * Before re-attaching: the outputs the pod announced before the crash, and, when it has several
 * containers, each one's log cursor. Their stored lines carry a `[name] ` prefix, except those of a
 * container named `main`.
 */
export function recoverStoredOutput(resume: TaskResume, names: string[], vars: Record<string, unknown>): Record<string, LogCursor> | undefined {
  const several = names.length > 1;
  const replays = new Map<string, LogReplay>();
  for (const { line, timestamp } of resume.storedOutput()) {
    const owner = several ? names.find((name) => name !== 'main' && line.startsWith(`[${name}] `)) : undefined;
    const text = owner ? line.slice(owner.length + 3) : line;
    const message = parseProtocolLine(text);
    if (message?.kind === 'message' && message.outputs) Object.assign(vars, message.outputs);
    if (!several) continue;
    const container = owner ?? 'main';
    let replay = replays.get(container);
    if (!replay) {
      replay = new LogReplay();
      replay.startRead();
      replays.set(container, replay);
    }
    replay.accept(timestamp);
  }
  if (!several) return undefined;
  const cursors: Record<string, LogCursor> = {};
  for (const [container, replay] of replays) {
    const cursor = replay.cursor();
    if (cursor) cursors[container] = cursor;
  }
  return cursors;
}
