import { renderDeep } from '../../expr/index.ts';
import { HarrierError } from '../../shared/errors.ts';
import type { TaskContext, TaskOutcome } from '../contract.ts';
import type { GcpTask } from './descriptor.ts';
import { googleCredentials, googleError } from './google-client.ts';

/** GKE's API. Tests and private endpoints replace it (HARRIER_GCP_CONTAINER_URL, documented as advanced). */
const CONTAINER_URL = 'https://container.googleapis.com';

/** `ClusterMetadata` and `OauthAccessToken`: their outputs are plugin-gcp's, names and spelling included. */
export async function runGcpTask(task: GcpTask, ctx: TaskContext): Promise<TaskOutcome> {
  const where = `task '${task.id}'`;
  const render = <T>(value: T, property: string): T => renderDeep(value, ctx.scope, ctx.runtime, `${where}, property '${property}'`);
  const scopes = render(task.scopes, 'scopes');
  const { client, projectId } = await googleCredentials(render(task.serviceAccount, 'serviceAccount'), scopes, where);

  if (task.action === 'accessToken') {
    let token: string | null | undefined;
    try {
      token = (await client.getAccessToken()).token;
    } catch (error) {
      throw googleError(error, where);
    }
    const expiry = client.credentials.expiry_date;
    ctx.recordOutputs({
      accessToken: {
        // The token endpoint's answer does not carry the scopes through the library: these are the ones granted on request.
        scopes,
        tokenValue: token,
        expirationTime: typeof expiry === 'number' ? new Date(expiry).toISOString() : null,
      },
    });
    return { state: 'SUCCESS' };
  }

  const clusterId = render(task.clusterId!, 'clusterId');
  const location = task.clusterZone === undefined ? undefined : render(task.clusterZone, 'clusterZone');
  const project = render(task.clusterProjectId, 'clusterProjectId') ?? render(task.projectId, 'projectId') ?? projectId;
  if (!location) throw missing(where, 'clusterZone', 'the zone or region of the cluster, like europe-west1');
  if (!project) throw missing(where, 'clusterProjectId', 'the project of the cluster (the credentials name none)');
  const base = process.env.HARRIER_GCP_CONTAINER_URL ?? CONTAINER_URL;
  const url = `${base.replace(/\/+$/, '')}/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/clusters/${encodeURIComponent(clusterId)}`;
  let cluster: GkeCluster;
  try {
    cluster = (await client.request<GkeCluster>({ url, method: 'GET', signal: ctx.signal, retry: false })).data;
  } catch (error) {
    throw googleError(error, `${where}: GKE cluster '${clusterId}' in ${project}/${location}`);
  }
  ctx.recordOutputs(clusterOutputs(cluster, location, project));
  return { state: 'SUCCESS' };
}

function missing(where: string, property: string, what: string): HarrierError {
  return new HarrierError(`${where}: '${property}' is needed: ${what}`, { code: 'TASK_PROPERTY_INVALID' });
}

/** The part of GKE's Cluster resource (REST, v1) that ClusterMetadata reads. */
export interface GkeCluster {
  name?: string;
  description?: string;
  location?: string;
  network?: string;
  subnetwork?: string;
  clusterIpv4Cidr?: string;
  endpoint?: string;
  createTime?: string;
  selfLink?: string;
  loggingService?: string;
  monitoringService?: string;
  nodePools?: Array<{ name?: string; status?: string }>;
  masterAuth?: { clusterCaCertificate?: string; clientKey?: string; clientCertificate?: string };
}

/**
 * plugin-gcp's Output. It reads protobuf getters, so an absent text is '' there too; `masterAuth`
 * keeps Kestra's spelling `clusterCertificat` and `clientCertificat`.
 */
export function clusterOutputs(cluster: GkeCluster, zone: string, project: string): Record<string, unknown> {
  const text = (value: string | undefined): string => value ?? '';
  const nodePools = cluster.nodePools ?? [];
  return {
    location: text(cluster.location),
    network: text(cluster.network),
    name: text(cluster.name),
    description: text(cluster.description),
    clusterIpv4Cidr: text(cluster.clusterIpv4Cidr),
    subNetwork: text(cluster.subnetwork),
    endpoint: text(cluster.endpoint),
    zone,
    project,
    createTime: text(cluster.createTime),
    nodePoolsCount: nodePools.length,
    nodePools: nodePools.map((pool) => ({ name: text(pool.name), status: pool.status ?? 'STATUS_UNSPECIFIED' })),
    masterAuth: {
      clusterCertificat: text(cluster.masterAuth?.clusterCaCertificate),
      clientKey: text(cluster.masterAuth?.clientKey),
      clientCertificat: text(cluster.masterAuth?.clientCertificate),
    },
    loggingService: text(cluster.loggingService),
    monitoringService: text(cluster.monitoringService),
    link: text(cluster.selfLink),
  };
}
