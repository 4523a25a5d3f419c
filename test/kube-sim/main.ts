/**
 * `npm run --silent kube-sim -- --kubeconfig FILE [--namespace NS]... [--forbid "verb resource"]...
 * [--role deploy/rbac.yaml] [--token T] [--port N]`: starts the simulator, writes the kubeconfig
 * once ready, prints one line, and on SIGTERM/SIGINT removes every Docker object it created.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { stopOnSignal } from '../support/until-signalled.ts';
import { startKubeSim } from './index.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

const program = new Command('kube-sim')
  .description('Kubernetes API simulator for tests (test infrastructure): pods run in the local Docker engine')
  .requiredOption('--kubeconfig <file>', 'where to write the kubeconfig once the server is ready')
  .option('--namespace <name>', 'an extra namespace (repeatable)', collect, [])
  .option('--forbid <pair>', 'forbid a "verb resource" pair, e.g. "create pods" (repeatable)', collect, [])
  .option('--role <file>', 'allow only the rules of this Role YAML')
  .option('--token <token>', 'bearer token to accept')
  .option('--port <port>', 'port to listen on (default: any free port)', (v) => Number(v))
  .parse();

const options = program.opts<{ kubeconfig: string; namespace: string[]; forbid: string[]; role?: string; token?: string; port?: number }>();

try {
  const sim = await startKubeSim({
    kubeconfigPath: options.kubeconfig,
    namespaces: options.namespace,
    forbid: options.forbid,
    roleYaml: options.role ? readFileSync(options.role, 'utf8') : undefined,
    token: options.token,
    port: options.port,
  });
  console.log(`kube-sim ready at ${sim.url}; kubeconfig written to ${options.kubeconfig}`);
  stopOnSignal('kube-sim', () => sim.stop());
} catch (error) {
  console.error(`kube-sim: could not start: ${(error as Error).message}`);
  process.exit(1);
}
