/**
 * The contract suite's Kubernetes backend for any cluster given by a kubeconfig: the simulator
 * (kubernetes-sim.test.ts) or a real cluster. Leftovers are the pods the API still lists with the
 * job's execution label. Not the containers' processes: the runner deletes pods with
 * gracePeriodSeconds 0, which removes the pod object at once and leaves stopping the containers
 * to the kubelet, a moment later.
 */
import * as k8s from '@kubernetes/client-node';
import { stopAllInformers, type KubernetesRunnerOptions } from '../../../src/runners/kubernetes/index.ts';
import { connectionFromKubeconfig } from '../kubernetes/helpers.ts';
import type { ContractBackend } from './backend.ts';

export interface KubernetesTarget {
  /** Kubeconfig YAML (its first cluster and user): the runner's `config` and the leftover check use it. */
  kubeconfig: string;
  namespace: string;
  /** Image of the main container, cached on the nodes. */
  image: string;
  /** More runner properties: pullPolicy, fileSidecar, resources... */
  properties?: Record<string, unknown>;
  runnerOptions?: KubernetesRunnerOptions;
  /** Stops what the test file started for this target (a simulator, a port-forward). */
  close?(): Promise<void>;
}

export function kubernetesBackend(target: KubernetesTarget): ContractBackend {
  const kubeconfig = new k8s.KubeConfig();
  kubeconfig.loadFromString(target.kubeconfig);
  const core = kubeconfig.makeApiClient(k8s.CoreV1Api);
  return {
    runner: {
      module: new URL('../../../src/runners/kubernetes/index.ts', import.meta.url).href,
      factory: 'createKubernetesRunner',
      options: target.runnerOptions,
    },
    containerImage: target.image,
    properties: { config: connectionFromKubeconfig(target.kubeconfig), namespace: target.namespace, ...target.properties },
    separatesStreams: false,
    leftovers: async (job) => {
      const pods = await core.listNamespacedPod({ namespace: target.namespace, labelSelector: `harrier.io/execution-id=${job.identity.executionId}` });
      return pods.items.map((pod) => `pod ${pod.metadata?.name} (${pod.status?.phase}${pod.metadata?.deletionTimestamp ? ', terminating' : ''})`);
    },
    removeLeftovers: async (job) => {
      const pods = await core.listNamespacedPod({ namespace: target.namespace, labelSelector: `harrier.io/execution-id=${job.identity.executionId}` });
      for (const pod of pods.items) await core.deleteNamespacedPod({ namespace: target.namespace, name: pod.metadata!.name!, gracePeriodSeconds: 0 });
    },
    close: async () => {
      stopAllInformers();
      await target.close?.();
    },
  };
}
