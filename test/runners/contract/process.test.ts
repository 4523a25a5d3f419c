/** The runner contract against the local process runner. */
import { localProcesses } from './backend.ts';
import { runnerContractSuite } from './suite.ts';

runnerContractSuite('process', async () => ({
  runner: { module: new URL('../../../src/runners/process/index.ts', import.meta.url).href, factory: 'createProcessRunner' },
  properties: {},
  separatesStreams: true,
  leftovers: async (job) => localProcesses(job),
  close: async () => undefined,
}), {
  knownBugs: {
    'crash-leaves-nothing': 'the task runs as a detached process group (spawn detached: true) and nothing ends it when harrier is '
      + 'SIGKILLed: it keeps running, and `harrier resume` starts the next attempt beside it (and deletes the old attempt folder under it)',
  },
});
