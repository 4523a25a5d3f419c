/**
 * What `--help` says after each command's options: examples, the exit codes it can end with, and
 * the environment variables it reads. One exit-code rule for every command (EXIT_CODES).
 */
export const EXIT_CODES = {
  0: 'success (the execution ended SUCCESS or WARNING; the command did what it was asked)',
  1: 'the execution ended FAILED or KILLED, or harrier could not do its work (Docker, Kubernetes, disk)',
  2: 'invalid flow, inputs or usage, or a missing file (flow, secrets file, configuration file, execution id)',
  130: 'interrupted by Ctrl-C (SIGINT)',
} as const;

export type ExitCode = keyof typeof EXIT_CODES;

const ENVIRONMENT: Record<string, string> = {
  HARRIER_STATE_DIR: 'state directory (else the config file\'s stateDir, else $XDG_STATE_HOME/harrier, else ~/.local/state/harrier)',
  HARRIER_STORAGE_DIR: 'the default of --storage-dir: internal storage (output files, FILE inputs), else <state dir>/storage',
  HARRIER_SECRET_KEY: 'base64 of 32 bytes (openssl rand -base64 32) that encrypts stored secrets, the same for every server and worker of a store (else <state dir>/secret.key)',
  XDG_STATE_HOME: 'base of the default state directory',
  XDG_CONFIG_HOME: 'base of the configuration file, $XDG_CONFIG_HOME/harrier/config.yaml (else ~/.config/harrier/config.yaml)',
  HARRIER_SECRETS_FILE: 'the default of --secrets-file',
  SECRET_NAME: "base64 value of secret('NAME')",
  HARRIER_NAMESPACE_FILES: 'the default of --namespace-files',
  HARRIER_TASK_RUNNER: 'the default of --task-runner',
  DOCKER_HOST: 'Docker engine of the Docker runner (else the local socket)',
  KUBECONFIG: 'kubeconfig file(s) of the Kubernetes runner and PodCreate',
  HARRIER_KUBE_CONTEXT: 'kubeconfig context when a task names none',
  NO_COLOR: 'no colour even on a terminal',
  HARRIER_SERVER: 'the default of --server: talk to this harrier server instead of the local store',
  HARRIER_SERVER_BASIC_AUTH: 'user:password the server requires (HTTP basic auth)',
  HARRIER_SERVER_TOKENS: 'bearer tokens the server accepts, comma-separated',
  HARRIER_LEASE_MS: 'the default of --lease-ms',
  HARRIER_RENEW_MS: 'the default of --renew-ms',
  HARRIER_POLL_MS: 'the default of --poll-ms',
  HARRIER_STORE: 'the default of --store: the store URL of harrier server (else the embedded store under the state directory)',
};

const COMMON_ENV = ['HARRIER_STATE_DIR', 'XDG_STATE_HOME', 'XDG_CONFIG_HOME'];
const RUN_ENV = [...COMMON_ENV, 'HARRIER_STORAGE_DIR', 'HARRIER_SECRET_KEY', 'HARRIER_SECRETS_FILE', 'SECRET_NAME', 'HARRIER_NAMESPACE_FILES', 'HARRIER_TASK_RUNNER', 'DOCKER_HOST', 'KUBECONFIG', 'HARRIER_KUBE_CONTEXT', 'NO_COLOR', 'HARRIER_SERVER'];

export interface CommandHelp {
  examples: string[];
  exitCodes: ExitCode[];
  env: string[];
}

export const HELP: Record<string, CommandHelp> = {
  harrier: {
    examples: ['harrier run examples/hello.yaml --input name=Ada', 'harrier executions', 'harrier logs ID --follow', 'harrier completion bash > ~/.local/share/bash-completion/completions/harrier'],
    exitCodes: [0, 1, 2, 130],
    env: RUN_ENV,
  },
  run: {
    examples: ['harrier run flow.yaml', 'harrier run flow.yaml -i name=Ada -i data=@input.csv', 'harrier run flow.yaml --task-runner docker -o json > execution.json'],
    exitCodes: [0, 1, 2, 130],
    env: RUN_ENV,
  },
  resume: { examples: ['harrier resume 4f2aQ', 'harrier resume 4f2aQ -o json'], exitCodes: [0, 1, 2, 130], env: RUN_ENV },
  kill: { examples: ['harrier kill 4f2aQ'], exitCodes: [0, 1, 2], env: [...COMMON_ENV, 'HARRIER_SECRET_KEY', 'DOCKER_HOST', 'KUBECONFIG'] },
  executions: { examples: ['harrier executions', 'harrier executions --limit 5 -o yaml', 'harrier executions --server http://127.0.0.1:8080'], exitCodes: [0, 2], env: [...COMMON_ENV, 'HARRIER_SERVER'] },
  show: { examples: ['harrier executions show 4f2aQ', 'harrier executions show 4f2aQ -o json'], exitCodes: [0, 2], env: [...COMMON_ENV, 'HARRIER_SECRET_KEY'] },
  logs: { examples: ['harrier logs 4f2aQ', 'harrier logs 4f2aQ --task build --follow', 'harrier logs 4f2aQ -o json'], exitCodes: [0, 2], env: [...COMMON_ENV, 'HARRIER_SECRET_KEY', 'NO_COLOR', 'HARRIER_SERVER'] },
  validate: { examples: ['harrier validate flows/*.yaml', 'harrier validate flow.yaml -o json'], exitCodes: [0, 2], env: ['XDG_CONFIG_HOME'] },
  server: {
    examples: ['harrier server', 'harrier server --port 9000 --workers 8 --flows flows/', 'HARRIER_SERVER_TOKENS=s3cret harrier server --bind 0.0.0.0'],
    exitCodes: [0, 1, 2],
    env: [...RUN_ENV, 'HARRIER_STORE', 'HARRIER_SERVER_BASIC_AUTH', 'HARRIER_SERVER_TOKENS', 'HARRIER_LEASE_MS', 'HARRIER_RENEW_MS', 'HARRIER_POLL_MS'],
  },
  worker: {
    examples: ['harrier worker --store postgresql://harrier@db:5432/harrier --slots 8', 'HARRIER_STORE=postgresql://harrier@db/harrier harrier worker --name gpu-1', 'HARRIER_SECRET_KEY=$(cat key) harrier worker --store postgresql://harrier@db/harrier --storage-dir /mnt/harrier-storage'],
    exitCodes: [0, 1, 2],
    env: [...RUN_ENV, 'HARRIER_STORE', 'HARRIER_LEASE_MS', 'HARRIER_RENEW_MS', 'HARRIER_POLL_MS'],
  },
  schema: { examples: ['harrier schema > harrier.schema.json'], exitCodes: [0], env: [] },
  config: { examples: ['harrier config', 'harrier config -o yaml'], exitCodes: [0, 2], env: [...COMMON_ENV, 'HARRIER_STORAGE_DIR', 'HARRIER_SECRETS_FILE', 'HARRIER_NAMESPACE_FILES', 'HARRIER_TASK_RUNNER', 'KUBECONFIG', 'HARRIER_KUBE_CONTEXT'] },
  completion: {
    examples: ['source <(harrier completion bash)', 'harrier completion zsh > "${fpath[1]}/_harrier"', 'harrier completion fish > ~/.config/fish/completions/harrier.fish'],
    exitCodes: [0, 2],
    env: [],
  },
};

export function helpFooter(help: CommandHelp): string {
  const lines = ['', 'Examples:', ...help.examples.map((example) => `  $ ${example}`), '', 'Exit codes:'];
  for (const code of help.exitCodes) lines.push(`  ${String(code).padEnd(4)}${EXIT_CODES[code]}`);
  if (help.env.length > 0) {
    lines.push('', 'Environment:');
    const width = Math.max(...help.env.map((name) => name.length)) + 2;
    for (const name of help.env) lines.push(`  ${name.padEnd(width)}${ENVIRONMENT[name]}`);
  }
  return `${lines.join('\n')}\n`;
}
