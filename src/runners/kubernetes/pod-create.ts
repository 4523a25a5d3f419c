/** PodCreate: the user's pod spec, completed with the file containers, run like a task pod. */
import { RunnerError } from '../../shared/errors.ts';
import { clusterSettingsOf, clusterTarget } from './connection.ts';
import { processInformers } from './informer.ts';
import { SIDECAR_CONTAINER } from './layout.ts';
import type { PodCreateJob, PodCreateResult } from './pod-create-job.ts';
import { buildPodCreatePod } from './pod-spec.ts';
import { DEFAULT_TUNING, runPodSession } from './pod-session.ts';
import { containerState, memoryLimit, metadataOf } from './pod-state.ts';
import { parseConnection, parseFileSidecar } from './properties.ts';
import type { KubernetesRunnerOptions } from './runner.ts';
import { hasInputFiles } from './working-dir.ts';

export async function runPodCreate(job: PodCreateJob, options: KubernetesRunnerOptions = {}): Promise<PodCreateResult> {
  job.signal.throwIfAborted();
  const connection = parseConnection(job.connection);
  const { kc, namespace, summary } = clusterTarget({ connection, namespace: job.namespace, settings: clusterSettingsOf(job.settings) });
  job.notice('INFO', summary);
  const upload = await hasInputFiles(job.hostWorkingDir);
  const collect = job.outputGlobs.length > 0;
  const { pod, removedContainers } = buildPodCreatePod({
    identity: job.identity,
    namespace,
    metadata: job.metadata,
    spec: job.spec,
    files: { upload, collect, outputDirName: job.outputDirName },
    fileSidecar: parseFileSidecar(job.fileSidecar),
    containerDefaultSpec: job.containerDefaultSpec,
  });
  for (const name of removedContainers) {
    job.notice('WARN', `container '${name}' of the spec was removed: the name is reserved for Harrier's file containers`);
  }
  const taskContainers = (pod.spec?.containers ?? []).map((container) => container.name).filter((name) => name !== SIDECAR_CONTAINER);
  if (taskContainers.length === 0) {
    throw new RunnerError(`task '${job.identity.taskId}': the PodCreate spec has no containers`, { hint: 'add at least one entry under spec.containers' });
  }
  const outcome = await runPodSession(kc, job, {
    pod,
    namespace,
    taskContainers,
    upload,
    collect,
    waitUntilRunningMs: job.waitUntilRunningMs,
    completionMs: job.taskTimeoutMs ?? job.waitRunningMs,
    completionProperty: job.taskTimeoutMs !== undefined ? 'timeout' : 'waitRunning',
    deleteAfter: job.delete,
    resumeEnabled: job.resumeEnabled,
    target: { connection },
    tuning: { ...DEFAULT_TUNING, ...options.tuning },
    informers: options.informers ?? processInformers,
  });
  let exitCode = 0;
  for (const name of taskContainers) {
    const state = containerState(outcome.pod, name);
    if (state.reason === 'OOMKilled') {
      job.notice('ERROR', `container ${name} of pod ${outcome.name} ran out of memory (OOMKilled, limit ${memoryLimit(outcome.pod, name) ?? 'none set'})`);
    }
    if (exitCode === 0 && state.exitCode !== undefined && state.exitCode !== 0) exitCode = state.exitCode;
  }
  return {
    exitCode,
    metadata: metadataOf(outcome.pod),
    status: outcome.pod.status ?? {},
  };
}
