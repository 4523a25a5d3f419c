/**
 * Builds the real cluster's components from the Go module proxy (TEST INFRASTRUCTURE).
 * Each component is a Go module under build/ whose go.mod pins its version; a binary is rebuilt only
 * when its module files change (a stamp of their hash sits beside it). Binaries go to .cache/bin,
 * which git ignores: none is ever committed. Go's module and build caches are Go's own defaults
 * (GOMODCACHE, GOCACHE), so a second build on the same machine takes minutes, not the first's half hour.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const BIN_DIR = join(HERE, '.cache', 'bin');

export const KUBERNETES_VERSION = 'v1.35.4';

interface Component {
  /** Binary names this build produces. */
  binaries: string[];
  module: string;
  packages: string[];
  ldflags?: string;
}

const kubernetesLdflags = [
  `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
  '-X k8s.io/component-base/version.gitMajor=1',
  '-X k8s.io/component-base/version.gitMinor=35',
  '-X k8s.io/component-base/version.gitTreeState=clean',
].join(' ');

const COMPONENTS: Component[] = [
  { binaries: ['pause'], module: 'pause', packages: ['.'], ldflags: '-s -w' },
  { binaries: ['etcd'], module: 'etcd', packages: ['go.etcd.io/etcd/server/v3'] },
  { binaries: ['cri-dockerd'], module: 'cri-dockerd', packages: ['github.com/Mirantis/cri-dockerd'] },
  {
    binaries: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet'],
    module: 'kubernetes',
    packages: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet'].map((name) => `k8s.io/kubernetes/cmd/${name}`),
    ldflags: kubernetesLdflags,
  },
];

function stampOf(component: Component): string {
  const dir = join(HERE, 'build', component.module);
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) {
    if (existsSync(join(dir, file))) hash.update(file).update(readFileSync(join(dir, file)));
  }
  hash.update(component.ldflags ?? '');
  return hash.digest('hex');
}

function isCurrent(component: Component, stamp: string): boolean {
  return component.binaries.every((name) => existsSync(join(BIN_DIR, name)) && existsSync(join(BIN_DIR, `${name}.stamp`))
    && readFileSync(join(BIN_DIR, `${name}.stamp`), 'utf8') === stamp);
}

export class ClusterBuildError extends Error {
  readonly code = 'CLUSTER_BUILD_FAILED';
}

/** Builds every component that is missing or out of date; `log` receives one line per build. */
export function buildCluster(log: (line: string) => void = (line) => console.error(line)): void {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) throw new ClusterBuildError('the Go toolchain is not installed (`go version` failed): install Go 1.25 or newer to build the test cluster');
  mkdirSync(BIN_DIR, { recursive: true });
  for (const component of COMPONENTS) {
    const stamp = stampOf(component);
    if (isCurrent(component, stamp)) continue;
    const started = Date.now();
    log(`real-cluster: building ${component.binaries.join(', ')} (first build takes long; later ones reuse Go's caches)`);
    // One binary gets an explicit name: Go would call etcd's `server`, after its package path.
    const output = component.binaries.length === 1 ? join(BIN_DIR, component.binaries[0]) : `${BIN_DIR}/`;
    const args = ['build', '-trimpath', '-o', output];
    if (component.ldflags) args.push('-ldflags', component.ldflags);
    const result = spawnSync('go', [...args, ...component.packages], {
      cwd: join(HERE, 'build', component.module),
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false -mod=mod' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (result.status !== 0) throw new ClusterBuildError(`go build of ${component.binaries.join(', ')} failed (exit ${result.status}); its output is above`);
    for (const name of component.binaries) writeFileSync(join(BIN_DIR, `${name}.stamp`), stamp);
    log(`real-cluster: built ${component.binaries.join(', ')} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

export function binary(name: string): string {
  return join(BIN_DIR, name);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    buildCluster();
  } catch (error) {
    console.error(`real-cluster: ${(error as Error).message}`);
    process.exit(1);
  }
}
