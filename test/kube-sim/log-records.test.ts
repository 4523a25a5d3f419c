/**
 * How pods/log renders a long line with `timestamps=true`, the same on the simulator and on the
 * real cluster (kubelet 1.35 with cri-dockerd, Docker's json-file driver): the runtime keeps a
 * line as records of 16 KiB, only the last ending with the newline, and the kubelet stamps only
 * the record that starts a line (k8s.io/cri-client/pkg/logs, since Kubernetes 1.27), so a line
 * arrives whole after one stamp. A character cut at a record's edge is replaced by U+FFFD per byte
 * (json-file keeps its log field valid UTF-8). The runner's reading (kubelet-log.ts) relies on this.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { ensureBusyboxImage } from '../support/images.ts';
import { availableBackends, startBackend, type KubeBackend } from '../support/kube-backends.ts';

const STAMP = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z';
const backends: KubeBackend[] = [];

after(async () => {
  for (const backend of backends) await backend.stop();
});

for (const name of availableBackends()) {
  test(`pods/log (${name}): a line of several 16 KiB records comes after one stamp, joined`, async () => {
    const backend = await startBackend(name);
    backends.push(backend);
    const config = new k8s.KubeConfig();
    config.loadFromString(backend.kubeconfig);
    const core = config.makeApiClient(k8s.CoreV1Api);
    const pod = `log-records-${process.pid}`;
    // 20,000 a; then 16,383 b, é cut by the record edge, 100 c; then a last line without newline.
    const script = "head -c 20000 /dev/zero | tr '\\0' a; echo; head -c 16383 /dev/zero | tr '\\0' b; printf '\\303\\251'; head -c 100 /dev/zero | tr '\\0' c; echo; printf last";
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: pod },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 0,
          automountServiceAccountToken: false,
          containers: [{ name: 'main', image: ensureBusyboxImage(), imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script] }],
        },
      },
    });
    try {
      await backend.waitForPod('default', pod, (p) => p?.status.phase === 'Succeeded', 60_000);
      const log = await core.readNamespacedPodLog({ namespace: 'default', name: pod, container: 'main', timestamps: true });
      const expected = new RegExp(`^${STAMP} a{20000}\\n${STAMP} b{16383}\ufffd\ufffdc{100}\\n${STAMP} last$`);
      assert.match(log, expected, log.replace(/([abc])\1{40,}/g, (run) => `<${run[0]}×${run.length}>`));
    } finally {
      await core.deleteNamespacedPod({ namespace: 'default', name: pod, gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  });
}
