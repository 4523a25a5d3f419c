/**
 * A harrier stand-in that the resume tests SIGKILL mid-task: it runs one Docker job and writes
 * every log line and the resume handle to files synchronously, as the engine's store would.
 * Usage: node crash-child.ts '<json RunnerJob fields>' <log file> <handle file> [die-after-save|die-before-create]
 * With `die-after-save` it kills itself right after saving the handle that names the container: the
 * container is created but never started. With `die-before-create` it dies at the first save,
 * before the runner created anything.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { RunnerJob } from '../../../src/runners/contract.ts';
import { createDockerRunner } from '../../../src/runners/docker/index.ts';

const [fields, logFile, handleFile, mode] = process.argv.slice(2);
const job: RunnerJob = {
  ...(JSON.parse(fields) as Omit<RunnerJob, 'signal' | 'log' | 'notice' | 'saveResumeHandle'>),
  signal: new AbortController().signal,
  log: (entry) => appendFileSync(logFile, `${JSON.stringify(entry)}\n`),
  notice: () => undefined,
  saveResumeHandle: async (handle) => {
    writeFileSync(handleFile, JSON.stringify(handle));
    if (mode === 'die-before-create' || (mode === 'die-after-save' && handle.containerId)) process.kill(process.pid, 'SIGKILL');
  },
};
await createDockerRunner().run(job);
