import type { TaskBase } from '../../flow/model.ts';
import type { TaskDescriptor } from '../descriptor.ts';
import { clusterMetadataProperties, type GcpProperties, oauthAccessTokenProperties } from './schema.ts';

export interface GcpTask extends TaskBase, GcpProperties {
  kind: 'gcp';
  /** ClusterMetadata reads a GKE cluster; OauthAccessToken hands out an access token. */
  action: 'clusterMetadata' | 'accessToken';
}

const CLUSTER_METADATA = 'io.kestra.plugin.gcp.gke.ClusterMetadata';

/**
 * `io.kestra.plugin.gcp.gke.ClusterMetadata` and `io.kestra.plugin.gcp.auth.OauthAccessToken`. Their
 * code, with Google's auth library, loads on a flow's first use of either.
 */
export const gcpTask: TaskDescriptor<GcpTask> = {
  kind: 'gcp',
  variants: [
    { types: [[CLUSTER_METADATA]], properties: clusterMetadataProperties },
    { types: [['io.kestra.plugin.gcp.auth.OauthAccessToken']], properties: oauthAccessTokenProperties },
  ],
  model: ({ type, properties }, common) => {
    const task = properties as unknown as GcpProperties;
    return {
      ...common,
      kind: 'gcp',
      action: type === CLUSTER_METADATA ? 'clusterMetadata' : 'accessToken',
      projectId: task.projectId,
      serviceAccount: task.serviceAccount,
      scopes: task.scopes,
      clusterId: task.clusterId,
      clusterZone: task.clusterZone,
      clusterProjectId: task.clusterProjectId,
    };
  },
  load: async () => (await import('./gcp-task.ts')).runGcpTask,
};
