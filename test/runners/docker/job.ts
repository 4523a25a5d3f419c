import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { after, before } from 'node:test';
import { dockerStatus } from '../../support/docker.ts';
import { ensureBusyboxImage } from '../../support/images.ts';
import type { LogEntry, NoticeLevel, ResumeHandle, RunnerJob } from '../../../src/runners/contract.ts';
import { createDockerRunner } from '../../../src/runners/docker/index.ts';

/** A RunnerJob as the engine would build it, recording everything the runner reports. */
export interface RecordedJob {
  job: RunnerJob;
  logs: LogEntry[];
  notices: Array<{ level: NoticeLevel; message: string }>;
  handles: ResumeHandle[];
  controller: AbortController;
  workDir: string;
  executionId: string;
  /** stdout lines, in order. */
  stdout(): string[];
  stderr(): string[];
}

export const docker = new Docker();

export function makeJob(overrides: Partial<RunnerJob> & { script?: string } = {}): RecordedJob {
  const workDir = overrides.hostWorkingDir ?? mkdtempSync(join(tmpdir(), 'harrier-docker-test-'));
  // As the engine does: the output folder exists, empty, before the task runs.
  mkdirSync(join(workDir, 'out'), { recursive: true });
  const executionId = overrides.identity?.executionId ?? `test-${randomUUID()}`;
  const controller = new AbortController();
  const logs: LogEntry[] = [];
  const notices: RecordedJob['notices'] = [];
  const handles: ResumeHandle[] = [];
  const { script, ...rest } = overrides;
  const job: RunnerJob = {
    identity: { executionId, namespace: 'harrier.test', flowId: 'docker-runner', taskId: 'task', taskRunId: `tr-${randomUUID()}`, attempt: 1 },
    command: ['/bin/sh', '-c', script ?? 'echo hello'],
    env: { WORKING_DIR: workDir, OUTPUT_DIR: join(workDir, 'out') },
    hostWorkingDir: workDir,
    outputDirName: 'out',
    outputGlobs: [],
    containerImage: 'harrier-test/busybox:1',
    properties: {},
    signal: controller.signal,
    log: (entry) => logs.push(entry),
    notice: (level, message) => notices.push({ level, message }),
    saveResumeHandle: async (handle) => {
      handles.push(handle);
    },
    ...rest,
  };
  return {
    job,
    logs,
    notices,
    handles,
    controller,
    workDir,
    executionId,
    stdout: () => logs.filter((entry) => entry.stream === 'stdout').map((entry) => entry.line),
    stderr: () => logs.filter((entry) => entry.stream === 'stderr').map((entry) => entry.line),
  };
}

/** Containers and volumes of one test execution, found by the runner's labels. */
export async function resourcesOf(executionId: string): Promise<{ containers: Docker.ContainerInfo[]; volumes: string[] }> {
  const label = `harrier.io/execution-id=${executionId}`;
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  const volumes = (await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? [];
  return { containers, volumes: volumes.map((volume) => volume.Name) };
}

/** What the engine does once it stored the attempt's end: release with the last handle the runner saved. */
export function releaseLast(recorded: RecordedJob): Promise<void> {
  return createDockerRunner().release(recorded.handles.at(-1) ?? {});
}

export async function removeResources(executionId: string): Promise<void> {
  const { containers, volumes } = await resourcesOf(executionId);
  for (const container of containers) await docker.getContainer(container.Id).remove({ force: true, v: true }).catch(() => undefined);
  for (const volume of volumes) await docker.getVolume(volume).remove().catch(() => undefined);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * For a test file's `describe`: builds the test image before its tests, and afterwards removes every
 * container, volume and folder of the jobs made through the returned `job()` (or handed to `track()`).
 */
export function trackedJobs(): { job(...args: Parameters<typeof makeJob>): RecordedJob; track(recorded: RecordedJob): RecordedJob } {
  const made: RecordedJob[] = [];
  let available = false;
  before(() => {
    available = dockerStatus().ok;
    if (available) ensureBusyboxImage();
  });
  after(async () => {
    for (const recorded of made) {
      if (available) await removeResources(recorded.executionId);
      removeDir(recorded.workDir);
    }
  });
  const track = (recorded: RecordedJob): RecordedJob => {
    made.push(recorded);
    return recorded;
  };
  return { job: (...args) => track(makeJob(...args)), track };
}
