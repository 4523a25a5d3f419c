import type { TaskRunner } from '../contract.ts';
import { ProcessRunner } from './process-runner.ts';

export function createProcessRunner(): TaskRunner {
  return new ProcessRunner();
}
