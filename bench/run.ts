/**
 * `npm run bench [-- NAME...]`: speed figures, each measured against a baseline taken in the same
 * run (these machines are noisy). Not a test: it prints figures and whether each target is met.
 */
import { build } from '../scripts/build.ts';
import { logThroughput, startup, taskOverhead } from './core.ts';

const BENCHES: Record<string, () => Promise<void>> = {
  startup,
  overhead: taskOverhead,
  logs: logThroughput,
  docker: async () => (await import('./docker.ts')).dockerBenches(),
  kubernetes: async () => (await import('./kubernetes.ts')).kubernetesBenches(),
  'kubernetes-real': async () => (await import('./kubernetes.ts')).kubernetesRealBenches(),
  server: async () => (await import('./server.ts')).serverBenches(),
  'server-throughput': async () => (await import('./server.ts')).serverThroughput(),
  'server-cost': async () => (await import('./server.ts')).serverCost(),
  'server-history': async () => (await import('./server.ts')).serverHistory(),
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!BENCHES[name]) {
    console.error(`unknown bench '${name}'; choose among: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
}
// Every bench runs the built harrier: built now, so that none times stale code.
if ((await build({ check: false })) !== 0) process.exit(1);
console.log(`# Harrier benchmarks (node ${process.version}, ${new Date().toISOString()})`);
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) await BENCHES[name]();
