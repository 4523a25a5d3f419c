/**
 * `npm run --silent cluster -- --kubeconfig FILE`: builds what is missing, starts a real single-node
 * cluster (TEST INFRASTRUCTURE), writes the admin kubeconfig once the node is Ready, prints one line,
 * and on SIGTERM/SIGINT stops every component and removes every container it ran. Same contract
 * as `npm run kube-sim`.
 */
import { Command } from 'commander';
import { stopOnSignal } from '../support/until-signalled.ts';
import { startRealCluster } from './cluster.ts';

const program = new Command('cluster')
  .description('a real Kubernetes cluster built from the Kubernetes Go modules, for tests (test infrastructure)')
  .requiredOption('--kubeconfig <file>', 'where to write the admin kubeconfig once the node is Ready')
  .parse();
const options = program.opts<{ kubeconfig: string }>();

try {
  const cluster = await startRealCluster({ kubeconfigPath: options.kubeconfig, log: (line) => console.error(line) });
  console.log(`real cluster ready at ${cluster.url}; kubeconfig written to ${options.kubeconfig}; component logs in ${cluster.logDir}`);
  stopOnSignal('cluster', () => cluster.stop());
} catch (error) {
  console.error(`cluster: could not start: ${(error as Error).message}`);
  process.exit(1);
}
