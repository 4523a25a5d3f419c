/**
 * A harrier stand-in that the contract suite SIGKILLs mid-task: it runs one job through the runner
 * named in the spec and appends every log entry and resume handle to files, synchronously, as the
 * engine's store would keep them.
 * Usage: node crash-child.ts '<json spec>'
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { RunnerJob } from '../../../src/runners/contract.ts';
import { createRunner, type RunnerSpec } from './backend.ts';

export interface CrashChildSpec {
  runner: RunnerSpec;
  job: Omit<RunnerJob, 'signal' | 'log' | 'notice' | 'saveResumeHandle'>;
  logFile: string;
  handleFile: string;
}

const spec = JSON.parse(process.argv[2]) as CrashChildSpec;
writeFileSync(spec.logFile, '');
const runner = await createRunner(spec.runner);
await runner.run({
  ...spec.job,
  signal: new AbortController().signal,
  log: (entry) => appendFileSync(spec.logFile, `${JSON.stringify(entry)}\n`),
  notice: () => undefined,
  saveResumeHandle: async (handle) => writeFileSync(spec.handleFile, JSON.stringify(handle)),
});
