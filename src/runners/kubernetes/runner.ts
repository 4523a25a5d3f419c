/**
 * The Kubernetes task runner: each task attempt runs as one pod whose `main` container executes
 * the task's command in `/kestra/working-dir` on a shared in-memory volume.
 */
import { RunnerError, TaskFailedError } from '../../shared/errors.ts';
import type { ResumeHandle, RunnerJob, RunnerResult, TaskRunner } from '../contract.ts';
import { clusterSettingsOf, clusterTarget } from './connection.ts';
import { processInformers, type InformerRegistry } from './informer.ts';
import { CONTAINER_WORKING_DIR, MAIN_CONTAINER, containerOutputDir } from './layout.ts';
import { buildRunnerPod } from './pod-spec.ts';
import { DEFAULT_TUNING, runPodSession, type KubernetesTuning } from './pod-session.ts';
import { containerState, memoryLimit } from './pod-state.ts';
import { parseRunnerProperties } from './properties.ts';
import { releasePod } from './release.ts';
import { hasInputFiles } from './working-dir.ts';

export interface KubernetesRunnerOptions {
  tuning?: Partial<KubernetesTuning>;
  /** The process's registry unless given: tests and a multi-cluster worker bring their own. */
  informers?: InformerRegistry;
}

/**
 * Outputs are collected when the task names output files, has input files (a script among them
 * may write to OUTPUT_DIR), or its command mentions the output folder. A task with none of these
 * needs no sidecar and no download exec.
 */
export function collectsOutputs(job: Pick<RunnerJob, 'outputGlobs' | 'command' | 'outputDirName'>, upload: boolean): boolean {
  if (job.outputGlobs.length > 0 || upload) return true;
  const command = job.command.join('\n');
  return command.includes(containerOutputDir(job.outputDirName)) || command.includes('OUTPUT_DIR');
}

export class KubernetesRunner implements TaskRunner {
  readonly kind = 'kubernetes';
  private readonly tuning: KubernetesTuning;
  private readonly informers: InformerRegistry;

  constructor(options: KubernetesRunnerOptions = {}) {
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.informers = options.informers ?? processInformers;
  }

  workingDirFor(): string {
    return CONTAINER_WORKING_DIR;
  }

  release(handle: ResumeHandle, settings?: Record<string, string>): Promise<void> {
    return releasePod(handle, settings);
  }

  async run(job: RunnerJob): Promise<RunnerResult> {
    job.signal.throwIfAborted();
    const props = parseRunnerProperties(job.properties);
    if (!job.containerImage) {
      throw new RunnerError(`task '${job.identity.taskId}': the Kubernetes runner needs a containerImage`, { hint: 'set containerImage on the task' });
    }
    const { kc, namespace, summary } = clusterTarget({
      connection: props.config, context: props.context, namespace: props.namespace, settings: clusterSettingsOf(job.settings),
    });
    job.notice('INFO', summary);
    const upload = await hasInputFiles(job.hostWorkingDir);
    const collect = collectsOutputs(job, upload);
    const pod = buildRunnerPod({
      identity: job.identity,
      namespace,
      image: job.containerImage,
      command: job.command,
      env: job.env,
      files: { upload, collect, outputDirName: job.outputDirName },
      pullPolicy: props.pullPolicy,
      resources: props.resources,
      serviceAccountName: props.serviceAccountName,
      nodeSelector: props.nodeSelector,
      tolerations: props.tolerations,
      labels: props.labels,
      annotations: props.annotations,
      fileSidecar: props.fileSidecar,
      containerDefaultSpec: props.containerDefaultSpec,
      podSpec: props.podSpec,
      emptyDirSizeLimit: props.emptyDirSizeLimit,
    });
    const outcome = await runPodSession(kc, job, {
      pod,
      namespace,
      taskContainers: [MAIN_CONTAINER],
      upload,
      collect,
      waitUntilRunningMs: props.waitUntilRunningMs,
      completionMs: job.taskTimeoutMs ?? props.waitUntilCompletionMs,
      completionProperty: job.taskTimeoutMs !== undefined ? 'timeout' : 'waitUntilCompletion',
      deleteAfter: props.delete,
      resumeEnabled: props.resume,
      target: { connection: props.config, context: props.context },
      tuning: this.tuning,
      informers: this.informers,
    });
    const main = containerState(outcome.pod, MAIN_CONTAINER);
    if (main.reason === 'OOMKilled' && main.exitCode === 0) {
      job.notice('WARN', `a process in container ${MAIN_CONTAINER} of pod ${outcome.name} was killed for lack of memory (limit ${memoryLimit(outcome.pod, MAIN_CONTAINER) ?? 'none set'}), but the task exited 0`);
    } else if (main.reason === 'OOMKilled') {
      const limit = memoryLimit(outcome.pod, MAIN_CONTAINER);
      throw new TaskFailedError(
        `task '${job.identity.taskId}': container ${MAIN_CONTAINER} of pod ${outcome.name} ran out of memory (OOMKilled, limit ${limit ?? 'none set'})`,
        { code: 'OOM_KILLED', hint: 'raise resources.limit.memory or make the task use less memory', exitCode: main.exitCode ?? 137 },
      );
    }
    return { exitCode: main.exitCode ?? 1, details: { pod: outcome.name, namespace } };
  }
}
