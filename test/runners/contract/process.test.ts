/** The runner contract against the local process runner. */
import { killLocalProcesses, localProcesses } from './backend.ts';
import { TaskCgroup } from '../../../src/runners/process/task-cgroup.ts';
import { runnerContractSuite } from './suite.ts';

runnerContractSuite('process', async () => ({
  runner: { module: new URL('../../../src/runners/process/index.ts', import.meta.url).href, factory: 'createProcessRunner' },
  properties: {},
  separatesStreams: true,
  leftovers: async (job) => localProcesses(job),
  removeLeftovers: async (job) => killLocalProcesses(job),
  close: async () => undefined,
}), {
  knownBugs: TaskCgroup.available() ? {} : {
    'crash-leaves-nothing': 'without a cgroup v1 freezer hierarchy the task runs as a detached process group only, and nothing '
      + 'ends it when harrier is SIGKILLed: it runs on beside the next attempt, until it ends',
  },
});
