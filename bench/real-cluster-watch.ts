/**
 * A pod watch of the bench's own on the real cluster, as the admin: each event is handed over as it
 * arrives, so its receipt time stands for when Kubernetes published the change.
 */
import { request } from 'node:https';
import type { Pod } from '../test/kube-sim/index.ts';
import type { RealCluster } from '../test/real-cluster/cluster.ts';

export function watchRealPods(cluster: RealCluster, namespace: string, listener: (type: string, pod: Pod) => void): () => void {
  let stopped = false;
  let current: ReturnType<typeof request> | undefined;
  const open = (resourceVersion?: string) => {
    if (stopped) return;
    const query = `watch=true&allowWatchBookmarks=false${resourceVersion ? `&resourceVersion=${resourceVersion}` : ''}`;
    current = request(`${cluster.url}/api/v1/namespaces/${namespace}/pods?${query}`, {
      ca: cluster.pki.caCert, cert: cluster.pki.clientCert, key: cluster.pki.clientKey,
    }, (res) => {
      let buffered = '';
      let last = resourceVersion;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 1);
          if (!line.trim()) continue;
          const event = JSON.parse(line) as { type: string; object: Pod };
          if (event.type === 'ERROR') continue;
          last = event.object.metadata.resourceVersion ?? last;
          listener(event.type, event.object);
        }
      });
      // The API server ends a watch after its timeout: reopen from where it stopped.
      res.on('end', () => open(last));
    });
    current.on('error', () => undefined);
    current.end();
  };
  open();
  return () => {
    stopped = true;
    current?.destroy();
  };
}
