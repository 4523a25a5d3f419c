/** The properties of the Google Cloud tasks, with plugin-gcp's names and defaults (AbstractTask). */
import { string, stringList, text } from '../../flow/schema-kit.ts';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

function gcpCommon() {
  return {
    projectId: text().optional().describe('The Google Cloud project of the credentials (else the key\'s project_id)'),
    serviceAccount: string().optional()
      .describe('A service-account JSON key (usually from secret()); without it GOOGLE_APPLICATION_CREDENTIALS, then application default credentials'),
    scopes: stringList().default([CLOUD_PLATFORM_SCOPE]).describe('The OAuth scopes asked for, default cloud-platform'),
  };
}

export function clusterMetadataProperties() {
  return {
    ...gcpCommon(),
    clusterId: text().describe('The GKE cluster\'s name'),
    clusterZone: text().optional().describe('The cluster\'s location: a zone (europe-west1-c) or a region (europe-west1)'),
    clusterProjectId: text().optional().describe('The cluster\'s project, default projectId, else the credentials\' project'),
  };
}

export function oauthAccessTokenProperties() {
  return gcpCommon();
}

export interface GcpProperties {
  projectId?: string;
  serviceAccount?: string;
  scopes: string[];
  clusterId?: string;
  clusterZone?: string;
  clusterProjectId?: string;
}
