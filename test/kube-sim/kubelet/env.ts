/**
 * Container environment as the kubelet builds it (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables):
 * service variables, then env in order with `$(VAR)` expansion, valueFrom sources resolved.
 */
import { parseQuantity } from '../quantity.ts';
import type { Container, Pod } from '../types.ts';

export type EnvResult = { ok: true; env: Record<string, string> } | { ok: false; message: string };

/** The node's allocatable resources, the value of resourceFieldRef when no limit is set. */
export const NODE_ALLOCATABLE = { cpu: '2', memory: '8Gi' };

/** Variables every container of a real cluster sees for the `kubernetes` service. */
export function serviceEnv(): Record<string, string> {
  return {
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
  };
}

/** third_party/forked/golang/expansion: `$(NAME)` from the map, `$$` escapes, unknown refs stay. */
export function expand(input: string, vars: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close === -1) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += Object.hasOwn(vars, name) ? vars[name] : `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

function fieldValue(pod: Pod, path: string): string | undefined {
  const indexed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (indexed) return (pod.metadata[indexed[1] as 'labels' | 'annotations'] ?? {})[indexed[2]] ?? '';
  switch (path) {
    case 'metadata.name': return pod.metadata.name;
    case 'metadata.namespace': return pod.metadata.namespace;
    case 'metadata.uid': return pod.metadata.uid;
    case 'spec.nodeName': return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP': return pod.status.hostIP ?? '';
    case 'status.hostIPs': return (pod.status.hostIPs ?? []).map((ip) => ip.ip).join(',');
    case 'status.podIP': return pod.status.podIP ?? '';
    case 'status.podIPs': return (pod.status.podIPs ?? []).map((ip) => ip.ip).join(',');
    default: return undefined;
  }
}

function resourceValue(pod: Pod, container: Container, ref: { resource: string; containerName?: string; divisor?: string }): string | undefined {
  const target = ref.containerName ? [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === ref.containerName) : container;
  const [kind, name] = ref.resource.split('.') as ['limits' | 'requests', string];
  const raw = target?.resources?.[kind]?.[name] ?? (kind === 'limits' ? NODE_ALLOCATABLE[name as 'cpu' | 'memory'] : '0');
  const value = parseQuantity(raw);
  const divisor = parseQuantity(ref.divisor ?? '1');
  if (value === undefined || !divisor) return undefined;
  return String(Math.ceil(value / divisor));
}

/** The container's environment, or the CreateContainerConfigError message that stops it from starting. */
export function resolveEnv(pod: Pod, container: Container): EnvResult {
  const env: Record<string, string> = serviceEnv();
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    if (ref && !ref.optional) return { ok: false, message: source.configMapRef ? `configmap "${ref.name}" not found` : `secret "${ref.name}" not found` };
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = expand(variable.value ?? '', env);
      continue;
    }
    if (from.configMapKeyRef) {
      if (from.configMapKeyRef.optional) continue;
      return { ok: false, message: `configmap "${from.configMapKeyRef.name}" not found` };
    }
    if (from.secretKeyRef) {
      if (from.secretKeyRef.optional) continue;
      return { ok: false, message: `secret "${from.secretKeyRef.name}" not found` };
    }
    if (from.fieldRef) {
      const value = fieldValue(pod, from.fieldRef.fieldPath);
      if (value === undefined) return { ok: false, message: `unsupported fieldPath: ${from.fieldRef.fieldPath}` };
      env[variable.name] = value;
      continue;
    }
    if (from.resourceFieldRef) {
      const value = resourceValue(pod, container, from.resourceFieldRef);
      if (value === undefined) return { ok: false, message: `unsupported container resource: ${from.resourceFieldRef.resource}` };
      env[variable.name] = value;
    }
  }
  return { ok: true, env };
}
