/**
 * Runs one Kubernetes runner job in its own process, for the crash-and-resume test: the test
 * SIGKILLs this process mid-task. Job description from argv[2] (JSON); resume handles and log
 * entries are appended, one JSON per line, to the files it names, as the engine's store would.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { createKubernetesRunner } from '../../../src/runners/kubernetes/index.ts';
import type { RunnerJob } from '../../../src/runners/contract.ts';

const spec = JSON.parse(process.argv[2]) as Omit<RunnerJob, 'signal' | 'log' | 'notice' | 'saveResumeHandle'> & {
  handleFile: string;
  logFile: string;
};
const { handleFile, logFile, ...fields } = spec;
writeFileSync(logFile, '');
await createKubernetesRunner().run({
  ...fields,
  signal: new AbortController().signal,
  log: (entry) => appendFileSync(logFile, `${JSON.stringify(entry)}\n`),
  notice: () => undefined,
  saveResumeHandle: async (handle) => writeFileSync(handleFile, JSON.stringify(handle)),
});
