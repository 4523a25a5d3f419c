/** Discovery documents: legacy (unaggregated) format, which every client falls back to. */

export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.4',
    gitCommit: '59526cd4867447956156ae3a602fcbac10a2c335',
    gitTreeState: 'clean',
    buildDate: '2025-04-22T16:02:27Z',
    goVersion: 'go1.23.6',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [] };
}

export function coreV1Resources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: ['get', 'list'], shortNames: ['ev'], storageVersionHash: 'r2yiGXH7wu8=' },
      { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list'], shortNames: ['ns'], storageVersionHash: 'Q3oi5N2YM8M=' },
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'get', 'list', 'watch'], shortNames: ['po'], categories: ['all'], storageVersionHash: 'xPOwRZ+Yhw8=' },
      { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
      { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    ],
  };
}

/**
 * The OpenAPI v3 root and a minimal core/v1 document: just enough for kubectl to see that the
 * server validates fields itself (a PATCH operation for Pod with the fieldValidation parameter),
 * so it sends `fieldValidation=Strict` instead of downloading schemas to validate client-side.
 */
export const OPENAPI_V1_HASH = 'kubesim0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000';

export function openApiV3Root(): Record<string, unknown> {
  return { paths: { 'api/v1': { serverRelativeURL: `/openapi/v3/api/v1?hash=${OPENAPI_V1_HASH.slice(0, 128)}` } } };
}

export function openApiV3CoreV1(): Record<string, unknown> {
  const gvk = { group: '', kind: 'Pod', version: 'v1' };
  const fieldValidation = { name: 'fieldValidation', in: 'query', description: 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.', schema: { type: 'string', uniqueItems: true } };
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4' },
    paths: {
      '/api/v1/namespaces/{namespace}/pods': {
        post: { operationId: 'createCoreV1NamespacedPod', parameters: [fieldValidation], responses: {}, 'x-kubernetes-action': 'post', 'x-kubernetes-group-version-kind': gvk },
      },
      '/api/v1/namespaces/{namespace}/pods/{name}': {
        patch: { operationId: 'patchCoreV1NamespacedPod', parameters: [fieldValidation], responses: {}, 'x-kubernetes-action': 'patch', 'x-kubernetes-group-version-kind': gvk },
      },
    },
    components: { schemas: {} },
  };
}
