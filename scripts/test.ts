/**
 * `npm test`: type-check and build dist/ (one tsc pass), then every `*.test.ts` under test/ with
 * Node's test runner. Extra arguments narrow the run: `npm test -- test/unit/expr`; dist/ is still
 * built (without the type check), because the end-to-end tests run the built `harrier`.
 *
 * When a selected file tests against the real Kubernetes cluster (it calls `availableBackends(`),
 * one cluster is built if needed and started here for the whole run, and shared with every file
 * through HARRIER_TEST_REAL_CLUSTER. Under CI=true a cluster that cannot be built or started fails
 * the run; elsewhere the reason is printed and those tests say they skipped.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRealCluster, type RealCluster } from '../test/real-cluster/cluster.ts';
import { REAL_CLUSTER_ENV } from '../test/support/kube-backends.ts';
import { build } from './build.ts';

function collect(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path).sort().flatMap((name) => (name === 'node_modules' || name === '.cache' ? [] : collect(join(path, name))));
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test']).flatMap(collect);

const built = await build({ check: !roots.length });
if (built !== 0) {
  console.error(roots.length ? 'build failed' : 'type check failed');
  process.exit(built);
}

const env: NodeJS.ProcessEnv = { ...process.env };
let cluster: RealCluster | undefined;
let handleDir: string | undefined;
if (files.some((file) => readFileSync(file, 'utf8').includes('availableBackends('))) {
  const started = Date.now();
  try {
    cluster = await startRealCluster({ log: (line) => console.log(`# ${line}`), waitForLockMs: 20 * 60_000 });
    handleDir = mkdtempSync(join(tmpdir(), 'harrier-test-cluster-'));
    const kubeconfigPath = join(handleDir, 'kubeconfig');
    writeFileSync(kubeconfigPath, cluster.kubeconfig, { mode: 0o600 });
    writeFileSync(join(handleDir, 'cluster.json'), JSON.stringify({
      kubeconfigPath, auditLogPath: cluster.auditLogPath, caCertPath: cluster.caCertPath, caKeyPath: cluster.caKeyPath,
    }));
    env[REAL_CLUSTER_ENV] = join(handleDir, 'cluster.json');
    console.log(`# real Kubernetes cluster ready in ${Math.round((Date.now() - started) / 1000)} s at ${cluster.url} (logs: ${cluster.logDir})`);
  } catch (error) {
    const reason = `the real Kubernetes cluster could not be started: ${(error as Error).message}`;
    if (process.env.CI === 'true') {
      console.error(`CI=true and ${reason}`);
      process.exit(1);
    }
    console.log(`# SKIPPED (real Kubernetes cluster): ${reason.split('\n')[0]}`);
    env.HARRIER_TEST_REAL_CLUSTER_SKIPPED = reason.split('\n')[0];
  }
}

const child = spawn(
  process.execPath,
  ['--test', '--test-concurrency=3', '--test-reporter=spec', '--test-timeout=600000', ...files],
  { stdio: 'inherit', env },
);
const status = await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
if (cluster) await cluster.stop();
if (handleDir) rmSync(handleDir, { recursive: true, force: true });
process.exit(status);
