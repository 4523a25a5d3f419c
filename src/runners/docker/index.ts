import type { TaskRunner } from '../contract.ts';
import { DockerRunner } from './docker-runner.ts';

export { DockerRunner } from './docker-runner.ts';

export function createDockerRunner(): TaskRunner {
  return new DockerRunner();
}
