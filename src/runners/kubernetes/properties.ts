import { RunnerError } from '../../shared/errors.ts';
import {
  fileSidecarSchema, kubernetesConnectionSchema, kubernetesRunnerPropertiesSchema, type FileSidecar, type KubernetesConnection,
  type KubernetesRunnerProperties,
} from './schema.ts';

function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}

export function parseRunnerProperties(properties: Record<string, unknown>): KubernetesRunnerProperties {
  const parsed = kubernetesRunnerPropertiesSchema().safeParse(properties);
  if (!parsed.success) {
    throw new RunnerError(`Kubernetes runner: invalid taskRunner properties after rendering: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

export function parseConnection(connection: Record<string, unknown> | undefined): KubernetesConnection | undefined {
  if (!connection) return undefined;
  const parsed = kubernetesConnectionSchema().safeParse(connection);
  if (!parsed.success) throw new RunnerError(`PodCreate: invalid connection after rendering: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export function parseFileSidecar(fileSidecar: Record<string, unknown> | undefined): FileSidecar {
  const parsed = fileSidecarSchema().safeParse(fileSidecar ?? {});
  if (!parsed.success) throw new RunnerError(`PodCreate: invalid fileSidecar after rendering: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
