/** The runner contract against the Kubernetes runner on the real cluster (test/real-cluster) that `npm test` starts. */
import { dockerUnavailable } from '../../support/docker.ts';
import { ensureBusyboxImage } from '../../support/images.ts';
import { availableBackends, realClusterMissing, startBackend } from '../../support/kube-backends.ts';
import { kubernetesBackend } from './kubernetes-backend.ts';
import { runnerContractSuite } from './suite.ts';

const NAMESPACE = 'contract';

runnerContractSuite('kubernetes-real', async () => {
  const noDocker = dockerUnavailable();
  if (noDocker) return { unavailable: noDocker };
  // Under CI=true a missing cluster throws here.
  if (!availableBackends().includes('real cluster')) return { unavailable: realClusterMissing() ?? 'no real cluster' };
  const image = ensureBusyboxImage();
  const cluster = await startBackend('real cluster', { namespaces: [NAMESPACE] });
  return kubernetesBackend({
    kubeconfig: cluster.kubeconfig,
    namespace: NAMESPACE,
    image,
    properties: { pullPolicy: 'IfNotPresent', fileSidecar: { image } },
    close: () => cluster.stop(),
  });
});
