/**
 * A harrier stand-in that the resume tests SIGKILL mid-task: it runs one Docker job and writes
 * every log line and the resume handle to files synchronously, as the engine's store would.
 * Usage: node crash-child.ts '<json RunnerJob fields>' <log file> <handle file>
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { RunnerJob } from '../../../src/runners/contract.ts';
import { createDockerRunner } from '../../../src/runners/docker/index.ts';

const [fields, logFile, handleFile] = process.argv.slice(2);
const job: RunnerJob = {
  ...(JSON.parse(fields) as Omit<RunnerJob, 'signal' | 'log' | 'notice' | 'saveResumeHandle'>),
  signal: new AbortController().signal,
  log: (entry) => appendFileSync(logFile, `${JSON.stringify(entry)}\n`),
  notice: () => undefined,
  saveResumeHandle: async (handle) => writeFileSync(handleFile, JSON.stringify(handle)),
};
await createDockerRunner().run(job);
