import { Argument, Command, CommanderError, Option } from 'commander';
import { FlowValidationError, HarrierError, InputError, isDiskFull, UsageError } from '../shared/errors.ts';
import { HELP, helpFooter } from './help.ts';
import { jsonAliasOption, outputOption } from './output.ts';
import { isClosedOutput, tolerateClosedOutput } from './terminal.ts';

const VERSION = '0.1.0';

function printError(text: string): void {
  if (!isClosedOutput(process.stderr)) process.stderr.write(text);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Codes of what the user must fix before anything can run: a file that is missing or wrong (a flow,
 * the secrets file, the configuration file) or a store file to restore or move aside.
 */
const USER_FIXES = new Set(['FLOW_UNREADABLE', 'SECRETS_FILE_INVALID', 'CONFIG_INVALID', 'STORE_NOT_A_STORE', 'STORE_DAMAGED', 'STORE_VERSION']);

/** Exit code 2 for invalid flows, inputs, usage and missing files; 1 for anything else. */
function exitCodeOf(error: HarrierError): number {
  if (error instanceof UsageError || error instanceof FlowValidationError || error instanceof InputError) return 2;
  return USER_FIXES.has(error.code) ? 2 : 1;
}

type RemoteCommands = typeof import('./commands/remote.ts');

/** With `--server URL` (or HARRIER_SERVER) the command talks to that server; otherwise it runs on the local store. */
async function remote(options: { server?: string }, onServer: (server: string, commands: RemoteCommands) => Promise<number>, local: () => Promise<number>): Promise<number> {
  return options.server ? onServer(options.server, await import('./commands/remote.ts')) : local();
}

/** Each command's module is loaded when it runs, so start-up pays only for the one in use. */
function buildProgram(setExitCode: (code: number) => void, runnerChoices?: readonly string[]): Command {
  const program = new Command('harrier')
    .description('Run Kestra-style YAML flows as local processes, Docker containers or Kubernetes pods.')
    .version(`harrier ${VERSION} (node ${process.version})`, '-v, --version')
    .showHelpAfterError('(run `harrier --help` for usage)')
    // A command's options are its own: `executions show ID --state-dir D` is show's --state-dir.
    .enablePositionalOptions()
    .exitOverride()
    .addHelpText('after', helpFooter(HELP.harrier));
  const stateDir = (): Option => new Option('--state-dir <dir>', 'state directory (default $HARRIER_STATE_DIR, else $XDG_STATE_HOME/harrier, else ~/.local/state/harrier)');
  const storageDir = (): Option => new Option('--storage-dir <dir>', 'internal storage: output files and FILE inputs (default $HARRIER_STORAGE_DIR, else <state dir>/storage)');
  const namespaceFiles = (): Option => new Option('--namespace-files <dir>', 'folder holding one sub-folder of files per namespace (default $HARRIER_NAMESPACE_FILES, else <state dir>/namespace-files)');
  const taskRunner = new Option('--task-runner <runner>', 'run every script task with this runner');
  if (runnerChoices) taskRunner.choices([...runnerChoices]);
  const command = (parent: Command, name: string): Command => parent.command(name).exitOverride().addHelpText('after', helpFooter(HELP[name]));
  const printsData = (cmd: Command): Command => cmd.addOption(outputOption()).addOption(jsonAliasOption());
  const kubeconfig = (): Option => new Option('--kubeconfig <file>', 'kubeconfig for Kubernetes tasks without `config` (instead of $KUBECONFIG or ~/.kube/config)');
  const kubeContext = (): Option => new Option('--context <name>', 'kubeconfig context for Kubernetes tasks without `config` or `context`');
  const timestamps = (): Option => new Option('--timestamps', 'show each log line\'s time');

  printsData(command(program, 'run')
    .description('run a flow and wait for its end (logs on stdout, or on stderr with -o)')
    .argument('<flow>', 'flow file (YAML)')
    .option('-i, --input <name=value>', 'an input value; name=@path for a FILE input (repeatable)', collect, [])
    .option('--secrets-file <file>', 'secrets for secret(\'NAME\'): a YAML/JSON map or NAME=value lines')
    .addOption(taskRunner)
    .addOption(namespaceFiles())
    .option('--flows <dir>', 'a folder of flow files where Subflow tasks find their flows (repeatable; default the flow\'s own folder)', collect, [])
    .addOption(kubeconfig())
    .addOption(kubeContext())
    .addOption(timestamps()))
    .addOption(stateDir())
    .addOption(storageDir())
    .option('--server <url>', 'talk to this harrier server instead of the local store (or $HARRIER_SERVER)')
    .action(async (flow: string, options) => setExitCode(await remote(options,
      (server, client) => client.remoteRun(server, flow, options), async () => (await import('./commands/run.ts')).runCommand(flow, options))));

  printsData(command(program, 'resume')
    .description('continue an execution that a stopped harrier process left unfinished')
    .argument('<execution-id>', 'execution id (or a unique prefix)')
    .addOption(kubeconfig().default(undefined, 'the run\'s'))
    .addOption(kubeContext().default(undefined, 'the run\'s'))
    .addOption(timestamps()))
    .addOption(stateDir())
    .addOption(storageDir())
    .option('--server <url>', 'talk to this harrier server instead of the local store (or $HARRIER_SERVER)')
    .action(async (id: string, options) => setExitCode(await remote(options,
      (server, client) => client.remoteResume(server, id, options), async () => (await import('./commands/run.ts')).resumeCommand(id, options))));

  printsData(command(program, 'kill')
    .description('kill an execution: signal the harrier process that runs it, or, if that process died, remove what it left running')
    .argument('<execution-id>', 'execution id (or a unique prefix)'))
    .addOption(stateDir())
    .option('--server <url>', 'talk to this harrier server instead of the local store (or $HARRIER_SERVER)')
    .action(async (id: string, options) => setExitCode(await remote(options,
      (server, client) => client.remoteKill(server, id, options), async () => (await import('./commands/kill.ts')).killCommand(id, options))));

  const executions = printsData(command(program, 'executions')
    .enablePositionalOptions()
    .description('list executions, newest first (`executions show ID` for one)'))
    .option('--limit <n>', 'how many (default 50)')
    .addOption(stateDir())
    .option('--server <url>', 'talk to this harrier server instead of the local store (or $HARRIER_SERVER)')
    .action(async (options) => setExitCode(await remote(options,
      (server, client) => client.remoteExecutions(server, options), async () => (await import('./commands/inspect.ts')).executionsCommand(options))));
  printsData(command(executions, 'show')
    .description('show one execution: state, inputs, outputs, task runs and output files')
    .argument('<execution-id>', 'execution id (or a unique prefix)'))
    .addOption(stateDir())
    .action(async (id: string, options) => setExitCode(await (await import('./commands/inspect.ts')).showCommand(id, options)));

  printsData(command(program, 'logs')
    .description('print the stored logs of an execution')
    .argument('<execution-id>', 'execution id (or a unique prefix)')
    .option('--task <id>', 'only this task\'s logs')
    .option('-f, --follow', 'keep printing new lines until the execution ends')
    .option('--all', 'include DEBUG lines and raw ::{...}:: protocol lines (the same as --level TRACE)')
    .option('--level <level>', 'the lowest level shown: TRACE, DEBUG, INFO (default), WARN, ERROR')
    .option('--since <time>', 'only lines since a time ago (90s, 10m, 2h, 1d) or a date-time (2026-12-01T10:00:00Z)')
    .option('--tail <n>', 'only the last n lines (then new ones, with --follow)')
    .addOption(timestamps()))
    .addOption(stateDir())
    .option('--server <url>', 'talk to this harrier server instead of the local store (or $HARRIER_SERVER)')
    .action(async (id: string, options) => setExitCode(await remote(options,
      (server, client) => client.remoteLogs(server, id, options), async () => (await import('./commands/inspect.ts')).logsCommand(id, options))));

  printsData(command(program, 'validate')
    .description('check flow files without running them')
    .argument('<flows...>', 'flow files'))
    .action(async (files: string[], options) => setExitCode(await (await import('./commands/validate.ts')).validateCommand(files, options)));

  command(program, 'server')
    .description('run the API, the executor and worker slots on the state directory\'s store, until SIGTERM')
    .option('--port <port>', 'TCP port (0: any free one)', '8080')
    .option('--bind <address>', 'address to listen on; any but loopback needs authentication', '127.0.0.1')
    .addOption(stateDir())
    .addOption(storageDir())
    .addOption(namespaceFiles())
    .option('--store <url>', 'keep executions in this store, postgresql://... (or $HARRIER_STORE); default: the embedded store under the state dir')
    .option('--workers <n>', 'worker slots, each driving one execution at a time (0: none)', '4')
    .option('--flows <dir>', 'deploy every flow file in this folder at start and when it changes')
    .option('--basic-auth <user:password>', 'require HTTP basic auth (prefer $HARRIER_SERVER_BASIC_AUTH: flags show in ps)')
    .option('--token <token>', 'accept this bearer token (repeatable; or $HARRIER_SERVER_TOKENS, comma-separated)', collect, [])
    .option('--lease-ms <ms>', 'an execution\'s lease expires after this long without renewal (default 10000 or $HARRIER_LEASE_MS)')
    .option('--renew-ms <ms>', 'how often a slot renews its lease (default 2000 or $HARRIER_RENEW_MS)')
    .option('--poll-ms <ms>', 'how often idle slots look at the queue (default 500 or $HARRIER_POLL_MS)')
    .option('--max-body-bytes <n>', 'largest flow or form field accepted (default 4 MiB)')
    .option('--max-upload-bytes <n>', 'largest uploaded file accepted (default 1 GiB)')
    .option('--name <name>', 'this server\'s name in leases (default host:pid)')
    .action(async (options) => setExitCode(await (await import('./commands/server.ts')).serverCommand(options, VERSION)));

  command(program, 'worker')
    .description('run worker slots alone, with no API, on a store a harrier server fills (postgresql://..., or a shared state dir)')
    .addOption(stateDir())
    .addOption(storageDir())
    .addOption(namespaceFiles())
    .option('--store <url>', 'take executions from this store, postgresql://... (or $HARRIER_STORE); default: the embedded store under the state dir')
    .option('--slots <n>', 'worker slots, each driving one execution at a time', '4')
    .option('--lease-ms <ms>', 'an execution\'s lease expires after this long without renewal (default 10000 or $HARRIER_LEASE_MS)')
    .option('--renew-ms <ms>', 'how often a slot renews its lease (default 2000 or $HARRIER_RENEW_MS)')
    .option('--poll-ms <ms>', 'how often idle slots look at the queue when not woken (default 500 or $HARRIER_POLL_MS)')
    .option('--name <name>', 'this worker\'s name in leases (default host:pid)')
    .action(async (options) => setExitCode(await (await import('./commands/worker.ts')).workerCommand(options)));

  command(program, 'schema')
    .description('print the JSON Schema of the flow format (for editors)')
    .addOption(outputOption())
    .action(async (options) => setExitCode(await (await import('./commands/validate.ts')).schemaCommand(options)));

  printsData(command(program, 'config')
    .description('show the effective settings and where each came from (flag, env, file, default)'))
    .action(async (options) => setExitCode(await (await import('./commands/config.ts')).configCommand(options)));

  command(program, 'completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: 'bash' | 'zsh' | 'fish') => {
      process.stdout.write((await import('./completion.ts')).completionScript(program, shell));
      setExitCode(0);
    });

  // Every command sees its settings resolved (flag, else variable, else config file, else default).
  program.hook('preAction', async (_program, command) => {
    const options = command.opts() as Record<string, string | undefined>;
    const { settings, kubernetesDefaults } = await import('./config.ts');
    const resolved = await settings({
      stateDir: options.stateDir, storageDir: options.storageDir, secretsFile: options.secretsFile, namespaceFiles: options.namespaceFiles,
      taskRunner: options.taskRunner, kubeconfig: options.kubeconfig, context: options.context, serverUrl: options.server,
    });
    // A command that talks to a server keeps only what was typed: the server has its own settings.
    const talksToServers = command.options.some((option) => option.long === '--server');
    if (talksToServers && resolved.serverUrl.value !== undefined) {
      command.setOptionValue('server', resolved.serverUrl.value);
      return;
    }
    command.setOptionValue('stateDir', resolved.stateDir.value);
    for (const name of ['storageDir', 'secretsFile', 'namespaceFiles', 'taskRunner'] as const) {
      if (resolved[name].value !== undefined) command.setOptionValue(name, resolved[name].value);
    }
    if (command.name() === 'run') {
      for (const [name, value] of Object.entries(kubernetesDefaults(resolved))) command.setOptionValue(name, value);
    }
  });
  return program;
}

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  // `run`'s options are parsed or shown only when `run` is on the command line; the runner table
  // behind `--task-runner` loads the runners' schemas (zod), which other commands do without.
  const runnerChoices = argv.includes('run') || argv.includes('completion') ? (await import('./runner-choice.ts')).RUNNER_CHOICES : undefined;
  const program = buildProgram((code) => (exitCode = code), runnerChoices);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // `commander.help` is help shown because a command was missing (bare `harrier`): a usage error.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
    }
    if (error instanceof HarrierError) {
      printError(`${error instanceof FlowValidationError ? error.message : `error: ${error.userMessage()}`}\n`);
      return exitCodeOf(error);
    }
    if (isDiskFull(error)) {
      // A copy names its source in `path` and the file it could not write in `dest`.
      const written = (error as { dest?: string }).dest ?? (error as NodeJS.ErrnoException).path;
      printError(`error: no space left on device${written ? ` writing ${written}` : ''} (free some space, or choose another --state-dir)\n`);
      return 1;
    }
    printError(`harrier: internal error (please report it): ${error instanceof Error ? error.stack : String(error)}\n`);
    return 1;
  }
}

tolerateClosedOutput(process.stdout);
tolerateClosedOutput(process.stderr);
void main(process.argv).then((code) => { process.exitCode = code; });
