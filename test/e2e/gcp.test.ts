import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGcpFake, GOOGLE_TOKEN_AUDIENCE, type GcpFake } from '../gcp-fake/index.ts';
import { connectionFromKubeconfig } from '../runners/kubernetes/helpers.ts';
import { flowFile, REPO_ROOT, runJson, taskRun, tempStateDir } from '../support/harrier.ts';
import { ensureBusyboxAlias, ensureBusyboxImage } from '../support/images.ts';
import { availableBackends, startBackend, type KubeBackend } from '../support/kube-backends.ts';

/**
 * io.kestra.plugin.gcp.gke.ClusterMetadata and io.kestra.plugin.gcp.auth.OauthAccessToken, run by the
 * harrier binary with Google's auth library against the local HTTPS fake of Google's endpoints
 * (test/gcp-fake), whose CA harrier trusts through NODE_EXTRA_CA_CERTS.
 */
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

function keyFile(json: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'harrier-gcp-key-')), 'key.json');
  writeFileSync(path, json);
  return path;
}

describe('Google Cloud tasks against the local fake', () => {
  let fake: GcpFake;
  const sample = {
    name: 'analytics',
    description: 'the analytics cluster',
    location: 'europe-west1',
    network: 'default',
    subnetwork: 'default',
    clusterIpv4Cidr: '10.8.0.0/14',
    endpoint: '34.0.0.7',
    createTime: '2024-05-01T10:00:00+00:00',
    selfLink: 'https://container.googleapis.com/v1/projects/harrier-test/locations/europe-west1/clusters/analytics',
    loggingService: 'logging.googleapis.com/kubernetes',
    monitoringService: 'monitoring.googleapis.com/kubernetes',
    nodePools: [{ name: 'default-pool', status: 'RUNNING' }, { name: 'gpu', status: 'PROVISIONING' }],
    masterAuth: { clusterCaCertificate: 'LS0tLS1CRUdJTi1DQQ==' },
  };

  before(async () => {
    fake = await startGcpFake({ accessToken: 'ya29.fake-token', clusters: [{ project: 'harrier-test', location: 'europe-west1', resource: sample }] });
  });

  after(async () => {
    await fake?.stop();
  });

  const env = (extra: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
    NODE_EXTRA_CA_CERTS: fake.caFile, HARRIER_GCP_CONTAINER_URL: fake.url, GOOGLE_APPLICATION_CREDENTIALS: undefined, ...extra,
  });

  test('OauthAccessToken with a serviceAccount key from secret(): token, expiry and scopes; the fake checked the signed assertion', async () => {
    const key = fake.serviceAccountKey();
    const before = fake.accepted.length;
    const { doc, stderr, code } = await runJson(flowFile(`id: token
namespace: company.team
tasks:
  - id: auth
    type: io.kestra.plugin.gcp.auth.OauthAccessToken
    serviceAccount: "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
    scopes: [${CLOUD_PLATFORM}, https://www.googleapis.com/auth/userinfo.email]
  - id: use
    type: io.kestra.plugin.core.log.Log
    message: "token starts {{ outputs.auth.accessToken.tokenValue | slice(0, 5) }}"
`), tempStateDir(), [], { env: env({ SECRET_GCP_SERVICE_ACCOUNT_JSON: Buffer.from(key).toString('base64') }) });
    assert.equal(code, 0, stderr);
    const token = taskRun(doc, 'auth').outputs.accessToken;
    assert.equal(token.tokenValue, 'ya29.fake-token');
    assert.deepEqual(token.scopes, [CLOUD_PLATFORM, 'https://www.googleapis.com/auth/userinfo.email']);
    const expiresIn = Date.parse(token.expirationTime) - Date.now();
    assert.ok(expiresIn > 3_400_000 && expiresIn <= 3_600_000, `expires in ${expiresIn} ms`);
    assert.match(stderr, /\[use\] token starts ya29\./);
    const seen = fake.accepted.slice(before);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].iss, JSON.parse(key).client_email);
    assert.equal(seen[0].scope, `${CLOUD_PLATFORM} https://www.googleapis.com/auth/userinfo.email`);
    assert.equal(seen[0].aud, GOOGLE_TOKEN_AUDIENCE);
  });

  test('ClusterMetadata with GOOGLE_APPLICATION_CREDENTIALS: plugin-gcp\'s outputs, masterAuth.clusterCertificat spelling included', async () => {
    const { doc, stderr, code } = await runJson(flowFile(`id: metadata
namespace: company.team
tasks:
  - id: metadata
    type: io.kestra.plugin.gcp.gke.ClusterMetadata
    clusterId: analytics
    clusterZone: europe-west1
`), tempStateDir(), [], { env: env({ GOOGLE_APPLICATION_CREDENTIALS: keyFile(fake.serviceAccountKey()) }) });
    assert.equal(code, 0, stderr);
    assert.deepEqual(taskRun(doc, 'metadata').outputs, {
      location: 'europe-west1',
      network: 'default',
      name: 'analytics',
      description: 'the analytics cluster',
      clusterIpv4Cidr: '10.8.0.0/14',
      subNetwork: 'default',
      endpoint: '34.0.0.7',
      zone: 'europe-west1',
      project: 'harrier-test',
      createTime: '2024-05-01T10:00:00+00:00',
      nodePoolsCount: 2,
      nodePools: [{ name: 'default-pool', status: 'RUNNING' }, { name: 'gpu', status: 'PROVISIONING' }],
      masterAuth: { clusterCertificat: 'LS0tLS1CRUdJTi1DQQ==', clientKey: '', clientCertificat: '' },
      loggingService: 'logging.googleapis.com/kubernetes',
      monitoringService: 'monitoring.googleapis.com/kubernetes',
      link: sample.selfLink,
    });
  });

  test('failures are one coded line: a revoked key, an unknown cluster, an untrusted certificate, a key that is not JSON', async () => {
    const revoked = fake.serviceAccountKey();
    fake.revoke(revoked);
    const { doc, code } = await runJson(flowFile(`id: failures
namespace: company.team
tasks:
  - id: revoked
    type: io.kestra.plugin.gcp.auth.OauthAccessToken
    serviceAccount: '${revoked.replaceAll("'", "''")}'
    allowFailure: true
  - id: unknown_cluster
    type: io.kestra.plugin.gcp.gke.ClusterMetadata
    serviceAccount: '${fake.serviceAccountKey().replaceAll("'", "''")}'
    clusterId: nope
    clusterZone: europe-west1
    allowFailure: true
  - id: not_json
    type: io.kestra.plugin.gcp.auth.OauthAccessToken
    serviceAccount: "not a key"
`), tempStateDir(), [], { env: env() });
    assert.equal(code, 1);
    const error = (id: string): string => taskRun(doc, id).attempts[0].error ?? '';
    assert.equal(error('revoked'), "task 'revoked': Google's token endpoint refused the credentials: invalid_grant: Invalid JWT Signature. "
      + '(check the service-account key and that it is not disabled or deleted)');
    assert.match(error('unknown_cluster'),
      /^task 'unknown_cluster': GKE cluster 'nope' in harrier-test\/europe-west1: https:\/\/127\.0\.0\.1:\d+\/v1\/projects\/harrier-test\/locations\/europe-west1\/clusters\/nope answered 404: Not found: projects\/harrier-test\/locations\/europe-west1\/clusters\/nope\./);
    assert.match(error('not_json'), /^task 'not_json', property 'serviceAccount': not a Google Cloud JSON key/);
    for (const id of ['revoked', 'unknown_cluster', 'not_json']) assert.equal(error(id).split('\n').length, 1, id);

    const untrusted = await runJson(flowFile(`id: untrusted
namespace: company.team
tasks:
  - id: auth
    type: io.kestra.plugin.gcp.auth.OauthAccessToken
`), tempStateDir(), [], { env: env({ NODE_EXTRA_CA_CERTS: undefined, GOOGLE_APPLICATION_CREDENTIALS: keyFile(fake.serviceAccountKey()) }) });
    assert.equal(untrusted.code, 1);
    assert.match(taskRun(untrusted.doc, 'auth').attempts[0].error ?? '', /^task 'auth': the certificate of 127\.0\.0\.1:\d+ is not trusted \(\w+\) \(add its CA to NODE_EXTRA_CA_CERTS/);
  });
});

/**
 * The seed's gke_task_runner flow as written, but for the image (one that exists here) and the pull
 * policy: ClusterMetadata and OauthAccessToken reach the fake, whose cluster points at the backend
 * (simulator, real cluster), and the Kubernetes runner's config takes their outputs.
 */
for (const backendName of availableBackends()) describe(`seed gke_task_runner on ${backendName}`, { concurrency: false }, () => {
  let backend: KubeBackend;
  let fake: GcpFake;

  before(async () => {
    ensureBusyboxAlias();
    backend = await startBackend(backendName);
    const connection = connectionFromKubeconfig(backend.tokenKubeconfig);
    fake = await startGcpFake({
      accessToken: connection.oauthToken,
      clusters: [{
        project: 'kestra-dev',
        location: 'europe-west1',
        resource: { name: 'kestra-dev-gke', location: 'europe-west1', endpoint: new URL(connection.masterUrl).host, masterAuth: { clusterCaCertificate: connection.caCertData } },
      }],
    });
  });

  after(async () => {
    await fake?.stop();
    await backend?.stop();
  });

  test('ClusterMetadata -> OauthAccessToken -> a pod on the cluster, authenticated by the token', async () => {
    const seed = readFileSync(join(REPO_ROOT, 'examples', 'kubernetes', 'gke_task_runner.yaml'), 'utf8');
    assert.match(seed, /containerImage: ubuntu\n/);
    const flow = flowFile(seed
      .replace('containerImage: ubuntu\n', `containerImage: ${ensureBusyboxImage()}\n`)
      .replace('      namespace: default\n', '      namespace: default\n      pullPolicy: IF_NOT_PRESENT\n'));
    const gets = fake.clusterGets;
    const { doc, stderr, code } = await runJson(flow, tempStateDir(), [], {
      env: {
        NODE_EXTRA_CA_CERTS: fake.caFile,
        HARRIER_GCP_CONTAINER_URL: fake.url,
        GOOGLE_APPLICATION_CREDENTIALS: keyFile(fake.serviceAccountKey({ project: 'kestra-dev' })),
        KUBECONFIG: '/nonexistent',
      },
    });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /\[pod\] Hello from a Kubernetes task runner!/);
    assert.equal(taskRun(doc, 'pod').attempts[0].runner, 'kubernetes');
    assert.equal(taskRun(doc, 'metadata').outputs.endpoint, new URL(connectionFromKubeconfig(backend.tokenKubeconfig).masterUrl).host);
    assert.equal(fake.clusterGets - gets, 1);
  });
});
