/** The runner contract against the Kubernetes runner on the API simulator (pods run in the local Docker engine). */
import { startKubeSim } from '../../kube-sim/index.ts';
import { dockerUnavailable } from '../../support/docker.ts';
import { ensureBusyboxImage } from '../../support/images.ts';
import { kubernetesBackend } from './kubernetes-backend.ts';
import { runnerContractSuite } from './suite.ts';

runnerContractSuite('kubernetes-sim', async () => {
  const unavailable = dockerUnavailable();
  if (unavailable) return { unavailable };
  const image = ensureBusyboxImage();
  const sim = await startKubeSim({ namespaces: ['tasks'] });
  return kubernetesBackend({
    kubeconfig: sim.kubeconfig,
    namespace: 'tasks',
    image,
    properties: { pullPolicy: 'IfNotPresent', fileSidecar: { image } },
    // The simulator's streams are local: stalls are found sooner than on a real cluster.
    runnerOptions: { tuning: { logStallMs: 3_000, logEndGraceMs: 2_000, goneTimeoutMs: 20_000 } },
    close: () => sim.stop(),
  });
});
