/**
 * A real single-node Kubernetes cluster on this machine (TEST INFRASTRUCTURE, not product code):
 * etcd, kube-apiserver, kube-controller-manager, kube-scheduler, cri-dockerd and the kubelet, all
 * built from their Go modules (build.ts) and listening on 127.0.0.1 only. Pods run in the local
 * Docker engine through cri-dockerd. `startRealCluster()` has the same contract as the simulator's
 * `startKubeSim()`: it resolves once the node is Ready and the `default` service account exists, and
 * `stop()` stops every component and removes every container the kubelet ran.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { renderKubeconfig } from '../kube-sim/kubeconfig.ts';
import { createPki, issueClientCert, type Pki } from '../kube-sim/tls.ts';
import { binary, buildCluster } from './build.ts';
import { apiCaller, type ApiCall } from '../support/kube-api.ts';
import { startDockerProxy, type DockerProxy } from './docker-proxy.ts';
import { ensurePauseImage } from './images.ts';

/**
 * The node's name, and so its Hostname address, through which the API server reaches the kubelet
 * (logs, exec): the kubelet refuses a loopback node IP, and nothing here may dial another address.
 */
export const NODE_NAME = 'localhost';

export interface RealClusterOptions {
  /** Also write the admin kubeconfig here. */
  kubeconfigPath?: string;
  /** How long the whole start may take once the binaries exist. */
  readyTimeoutMs?: number;
  /** How long to wait for another cluster on this machine to stop (default: not at all). */
  waitForLockMs?: number;
  log?: (line: string) => void;
}

export interface RealCluster {
  /** `https://127.0.0.1:PORT` */
  url: string;
  /** Kubeconfig of an admin (group `system:masters`) with CA, client certificate and key inline. */
  kubeconfig: string;
  pki: Pki;
  /** Where every component's log file is (`<component>.log`). */
  logDir: string;
  /** The API server's audit log: one JSON event per line, every request at the Metadata level. */
  auditLogPath: string;
  /** The cluster CA's certificate and key, for tests that issue client certificates. */
  caCertPath: string;
  caKeyPath: string;
  /** A kubeconfig for another user (CN) signed by the cluster's CA, e.g. for RBAC tests. */
  kubeconfigFor(user: string, groups?: string[]): string;
  /** An admin request to the API server; resolves with the status and body text. */
  api: ApiCall;
  stop(): Promise<void>;
}

interface Component {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

export class ClusterStartError extends Error {
  readonly code = 'CLUSTER_START_FAILED';
}

export class ClusterBusyError extends Error {
  readonly code = 'CLUSTER_BUSY';
}

/**
 * One real cluster per machine: its kubelet owns every cri-dockerd container of the Docker engine.
 * The lock file holds the owner's pid; a lock whose owner is gone is taken over.
 */
const LOCK_FILE = join(tmpdir(), 'harrier-real-cluster.lock');

/** Takes the lock, waiting up to `waitMs` for a live owner to let it go. */
async function takeMachineLock(waitMs: number, log: (line: string) => void): Promise<() => void> {
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      return () => rmSync(LOCK_FILE, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(LOCK_FILE, 'utf8'));
    if (!(owner > 0 && owner !== process.pid && isAlive(owner))) {
      rmSync(LOCK_FILE, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new ClusterBusyError(`another real cluster runs on this machine (process ${owner}, lock ${LOCK_FILE})`);
    }
    if (!told) log(`real-cluster: waiting for the cluster of process ${owner} to stop (one cluster per machine)`);
    told = true;
    await sleep(2_000);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Unmounts what the kubelet mounted under `root` (tmpfs for emptyDir, projected tokens), deepest first. */
function unmountUnder(root: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((path): path is string => !!path && path.startsWith(root))
    .sort((a, b) => b.length - a.length);
  for (const path of mounts) {
    try {
      execFileSync('umount', ['-l', path], { stdio: 'ignore' });
    } catch {
      // Already gone with a parent's lazy unmount.
    }
  }
}

/** Every container cri-dockerd made for the kubelet: pod sandboxes and containers alike. */
function kubeletContainers(): string[] {
  const out = execFileSync('docker', ['ps', '-aq', '--filter', 'label=io.kubernetes.pod.uid'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

export async function startRealCluster(options: RealClusterOptions = {}): Promise<RealCluster> {
  const log = options.log ?? (() => {});
  buildCluster(log);
  const releaseLock = await takeMachineLock(options.waitForLockMs ?? 0, log);
  const pauseImage = await ensurePauseImage(binary('pause'));
  const leftovers = kubeletContainers();
  if (leftovers.length) execFileSync('docker', ['rm', '-f', '-v', ...leftovers], { stdio: 'ignore' });

  const work = mkdtempSync(join(tmpdir(), 'harrier-real-cluster-'));
  // Apart from the work folder, so that a failed start can leave its logs behind for reading.
  const logDir = mkdtempSync(join(tmpdir(), 'harrier-real-cluster-logs-'));
  const file = (name: string, content: string) => {
    const path = join(work, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };

  const pki = createPki({ user: 'harrier-admin', groups: ['system:masters'] }, [
    'IP:10.0.0.1', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
  ]);
  const caFile = file('ca.crt', pki.caCert);
  const caKeyFile = file('ca.key', pki.caKey);
  file('apiserver.crt', pki.serverCert);
  file('apiserver.key', pki.serverKey);
  execFileSync('openssl', ['genrsa', '-out', join(work, 'sa.key'), '2048'], { stdio: 'ignore' });
  execFileSync('openssl', ['rsa', '-in', join(work, 'sa.key'), '-pubout', '-out', join(work, 'sa.pub')], { stdio: 'ignore' });
  // The API server's client identity towards the kubelet (logs, exec): an admin, so that the
  // kubelet's webhook authorisation lets every proxied request through.
  const kubeletClient = issueClientCert(pki, { user: 'kube-apiserver-kubelet-client', groups: ['system:masters'] });
  file('kubelet-client.crt', kubeletClient.cert);
  file('kubelet-client.key', kubeletClient.key);

  const [etcdPort, etcdPeerPort, apiPort, kubeletPort, kubeletHealthPort, streamingPort] = await Promise.all(
    Array.from({ length: 6 }, freePort),
  );
  const url = `https://127.0.0.1:${apiPort}`;
  const auditPolicy = file('audit-policy.yaml', stringify({
    apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'], rules: [{ level: 'Metadata' }],
  }));
  const auditLogPath = join(logDir, 'audit.log');

  const kubeconfigFor = (user: string, groups: string[] = []) => {
    const issued = issueClientCert(pki, { user, groups });
    return renderKubeconfig({ server: url, caCert: pki.caCert, clientCert: issued.cert, clientKey: issued.key, name: 'harrier-real' });
  };
  const kubeconfig = renderKubeconfig({ server: url, caCert: pki.caCert, clientCert: pki.clientCert, clientKey: pki.clientKey, name: 'harrier-real' });
  const componentKubeconfig = (name: string, user: string, groups: string[] = []) => file(`${name}.kubeconfig`, kubeconfigFor(user, groups));

  const components: Component[] = [];
  let dockerProxy: DockerProxy | undefined;
  const start = (name: string, args: string[]) => {
    const fd = openSync(join(logDir, `${name}.log`), 'a');
    const child = spawn(binary(name), args, { stdio: ['ignore', fd, fd], cwd: work });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    components.push({ name, process: child, exited });
  };
  const failIfExited = async () => {
    for (const component of components) {
      const code = await Promise.race([component.exited, sleep(0).then(() => 'running' as const)]);
      if (code !== 'running') {
        throw new ClusterStartError(`${component.name} exited with ${code} during start-up; the end of ${join(logDir, `${component.name}.log`)}:\n${tail(join(logDir, `${component.name}.log`))}`);
      }
    }
  };
  const waitFor = async (what: string, check: () => Promise<boolean>, deadline: number) => {
    while (Date.now() < deadline) {
      await failIfExited();
      if (await check().catch(() => false)) return;
      await sleep(250);
    }
    throw new ClusterStartError(`timed out waiting for ${what}; component logs are in ${logDir}`);
  };

  const api = apiCaller({ server: url, caCert: pki.caCert, clientCert: pki.clientCert, clientKey: pki.clientKey });

  const stop = async (keepLogs = false) => {
    // The kubelet first, so that it does not restart what is being removed; the containers it ran
    // are then removed directly, because a stopped kubelet can no longer delete its pods.
    for (const name of ['kubelet', 'kube-scheduler', 'kube-controller-manager', 'cri-dockerd', 'kube-apiserver', 'etcd']) {
      const component = components.find((c) => c.name === name);
      if (!component || component.process.exitCode !== null) continue;
      component.process.kill('SIGTERM');
      const stopped = await Promise.race([component.exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!stopped) {
        component.process.kill('SIGKILL');
        await component.exited;
      }
      if (name === 'kubelet') {
        const containers = kubeletContainers();
        if (containers.length) execFileSync('docker', ['rm', '-f', '-v', ...containers], { stdio: 'ignore' });
      }
    }
    await dockerProxy?.close();
    unmountUnder(work);
    rmSync(work, { recursive: true, force: true });
    if (!keepLogs) rmSync(logDir, { recursive: true, force: true });
    releaseLock();
  };

  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 180_000);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    start('etcd', [
      `--data-dir=${join(work, 'etcd')}`, `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=default=${peerUrl}`,
      '--unsafe-no-fsync=true', '--log-level=warn',
    ]);
    await waitFor('etcd', () => plainGet(`${etcdUrl}/health`).then((body) => body.includes('"true"')), deadline);

    start('kube-apiserver', [
      `--etcd-servers=${etcdUrl}`, '--bind-address=127.0.0.1', `--secure-port=${apiPort}`, '--advertise-address=127.0.0.1',
      `--tls-cert-file=${join(work, 'apiserver.crt')}`, `--tls-private-key-file=${join(work, 'apiserver.key')}`,
      `--client-ca-file=${caFile}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(work, 'sa.pub')}`, `--service-account-signing-key-file=${join(work, 'sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24', '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction',
      `--kubelet-client-certificate=${join(work, 'kubelet-client.crt')}`, `--kubelet-client-key=${join(work, 'kubelet-client.key')}`,
      `--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLogPath}`, '--audit-log-maxbackup=0',
      '--kubelet-preferred-address-types=Hostname', '--allow-privileged=true', '--profiling=false', '--v=1',
    ]);
    await waitFor('kube-apiserver /readyz', () => api('GET', '/readyz').then((r) => r.status === 200), deadline);

    start('kube-controller-manager', [
      `--kubeconfig=${componentKubeconfig('controller-manager', 'system:kube-controller-manager')}`,
      `--service-account-private-key-file=${join(work, 'sa.key')}`, `--root-ca-file=${caFile}`,
      `--cluster-signing-cert-file=${caFile}`, `--cluster-signing-key-file=${caKeyFile}`,
      '--use-service-account-credentials=true', '--controllers=*', '--leader-elect=false',
      '--bind-address=127.0.0.1', '--secure-port=0', '--v=1',
    ]);
    const schedulerConfig = file('scheduler.yaml', stringify({
      apiVersion: 'kubescheduler.config.k8s.io/v1',
      kind: 'KubeSchedulerConfiguration',
      clientConnection: { kubeconfig: componentKubeconfig('scheduler', 'system:kube-scheduler') },
      leaderElection: { leaderElect: false },
    }));
    start('kube-scheduler', [`--config=${schedulerConfig}`, '--bind-address=127.0.0.1', '--secure-port=0', '--v=1']);

    const criSocket = join(work, 'cri-dockerd.sock');
    dockerProxy = await startDockerProxy(join(work, 'docker.sock'));
    start('cri-dockerd', [
      `--docker-endpoint=unix://${dockerProxy.socketPath}`,
      `--container-runtime-endpoint=unix://${criSocket}`, '--network-plugin=', `--pod-infra-container-image=${pauseImage}`,
      `--streaming-bind-addr=127.0.0.1:${streamingPort}`, `--cri-dockerd-root-directory=${join(work, 'cri-dockerd')}`,
      '--hairpin-mode=none', '--log-level=warn',
    ]);
    // The kubelet exits at once when the runtime socket is not there yet (seen once on a loaded machine).
    await waitFor('the cri-dockerd socket', () => Promise.resolve(existsSync(criSocket)), deadline);
    const kubeletConfig = file('kubelet.yaml', stringify({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: '127.0.0.1',
      port: kubeletPort,
      healthzBindAddress: '127.0.0.1',
      healthzPort: kubeletHealthPort,
      readOnlyPort: 0,
      containerRuntimeEndpoint: `unix://${criSocket}`,
      cgroupDriver: 'cgroupfs',
      cgroupsPerQOS: false,
      enforceNodeAllocatable: [],
      failSwapOn: false,
      failCgroupV1: false,
      podLogsDir: join(work, 'pod-logs'),
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: caFile } },
      authorization: { mode: 'Webhook' },
      // vfs copies every image layer: disk-based eviction and image GC would evict test pods.
      evictionHard: { 'imagefs.available': '0%', 'nodefs.available': '0%', 'nodefs.inodesFree': '0%' },
      imageGCHighThresholdPercent: 100,
      // A cluster DNS address, as every real cluster has, so that pods do not each get a
      // MissingClusterDNS warning; nothing answers there, and no test resolves names in a pod.
      clusterDNS: ['127.0.0.1'],
      clusterDomain: 'cluster.local',
      nodeStatusUpdateFrequency: '2s',
      syncFrequency: '5s',
    }));
    start('kubelet', [
      `--config=${kubeletConfig}`, `--kubeconfig=${componentKubeconfig('kubelet', `system:node:${NODE_NAME}`, ['system:nodes'])}`,
      `--hostname-override=${NODE_NAME}`, `--root-dir=${join(work, 'kubelet')}`,
      `--cert-dir=${join(work, 'kubelet-pki')}`, '--v=1',
    ]);

    await waitFor(`node ${NODE_NAME} Ready`, async () => {
      const response = await api('GET', `/api/v1/nodes/${NODE_NAME}`);
      if (response.status !== 200) return false;
      const node = JSON.parse(response.body) as { status?: { conditions?: { type: string; status: string }[] } };
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    }, deadline);
    await waitFor('the default service account', () => api('GET', '/api/v1/namespaces/default/serviceaccounts/default').then((r) => r.status === 200), deadline);
    await waitFor('the kube-root-ca.crt ConfigMap', () => api('GET', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt').then((r) => r.status === 200), deadline);
  } catch (error) {
    await stop(true);
    throw error;
  }

  if (options.kubeconfigPath) writeFileSync(options.kubeconfigPath, kubeconfig, { mode: 0o600 });
  return {
    url,
    kubeconfig,
    pki,
    logDir,
    auditLogPath,
    caCertPath: caFile,
    caKeyPath: caKeyFile,
    kubeconfigFor,
    api,
    stop: () => stop(),
  };
}

function plainGet(target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}
