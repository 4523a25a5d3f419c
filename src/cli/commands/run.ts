import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Engine, type ExecutionListener } from '../../engine/index.ts';
import type { Flow } from '../../flow/model.ts';
import { flowSizeProblem, FLOW_LIMITS } from '../../flow/limits.ts';
import { parseFlow } from '../../flow/parse.ts';
import { formatDurationMs } from '../../shared/duration.ts';
import { FlowValidationError, formatFlowIssue, HarrierError } from '../../shared/errors.ts';
import { lineageOf, type ExecutionRecord } from '../../store/index.ts';
import { clusterRunnerSettings, type ClusterOptions } from '../cluster-options.ts';
import { engineFilesOf, parseInputOptions, stateDirOf } from '../context.ts';
import { liveStatus } from '../live-status.ts';
import { parseRunnerChoice } from '../runner-choice.ts';
import { attemptsByTaskRun, executionDocument, formatLogLine, summaryLines } from '../report.ts';
import { documentText, formatOf } from '../output.ts';
import { BufferedWriter } from '../terminal.ts';

/** How long the clean-up after Ctrl-C / SIGTERM may take before harrier gives up on it and exits. */
const CLEAN_UP_LIMIT_MS = 60_000;

/** What `run` and `resume` share. */
interface ExecutionCommandOptions extends ClusterOptions {
  stateDir?: string;
  storageDir?: string;
  output?: string;
  json?: boolean;
  timestamps?: boolean;
}

export interface RunOptions extends ExecutionCommandOptions {
  input: string[];
  secretsFile?: string;
  stateDir?: string;
  taskRunner?: string;
  namespaceFiles?: string;
  output?: string;
  flows?: string[];
  json?: boolean;
}

/** Reads and checks a flow file; its warnings go to stderr unless `quiet` (validate -o json lists them). */
export async function readFlowFile(path: string, options: { quiet?: boolean } = {}): Promise<{ source: string; flow: Flow }> {
  let source: string;
  try {
    // A file far over the limit is refused before it is read into memory.
    const { size } = await stat(path);
    if (size > FLOW_LIMITS.maxFlowBytes) {
      throw new FlowValidationError([{ file: path, line: 1, column: 1, path: '', message: flowSizeProblem(size)! }]);
    }
    source = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof FlowValidationError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new HarrierError(`cannot read flow file ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (error as Error).message}`, {
      code: 'FLOW_UNREADABLE',
      hint: 'check the path; flows are YAML files such as examples/hello.yaml',
    });
  }
  const flow = parseFlow(source, path);
  if (!options.quiet) for (const warning of flow.warnings) process.stderr.write(`warning: ${formatFlowIssue(warning)}\n`);
  return { source, flow };
}

export async function runCommand(flowPath: string, options: RunOptions): Promise<number> {
  const { source, flow } = await readFlowFile(flowPath);
  const taskRunnerOverride = parseRunnerChoice(options.taskRunner);
  const rawInputs = parseInputOptions(options.input);
  return withEngine(options, async (engine) => {
    const execution = await engine.createExecution({
      flow, flowSource: source, flowFile: flowPath, rawInputs,
      options: {
        taskRunnerOverride,
        secretsFile: options.secretsFile ? resolve(options.secretsFile) : undefined,
        namespaceFilesDir: options.namespaceFiles ? resolve(options.namespaceFiles) : undefined,
        flowsDirs: (options.flows ?? []).length > 0 ? options.flows!.map((dir) => resolve(dir)) : [dirname(resolve(flowPath))],
        runnerSettings: clusterRunnerSettings(options),
      },
    });
    return { execution, flow };
  });
}

export async function resumeCommand(executionId: string, options: ExecutionCommandOptions): Promise<number> {
  return withEngine(options, async (engine) => engine.prepareResume(executionId, clusterRunnerSettings(options)));
}

/**
 * Runs one execution (and the executions its flow retries make) with live logs (stdout, or stderr
 * under -o/--json), handles Ctrl-C / SIGTERM, and prints the summary or the JSON document. Returns
 * the process exit code.
 */
async function withEngine(
  options: ExecutionCommandOptions,
  prepare: (engine: Engine) => Promise<{ execution: ExecutionRecord; flow: Flow }>,
): Promise<number> {
  const format = formatOf(options);
  const logs = new BufferedWriter(format !== 'text' ? process.stderr : process.stdout);
  const stderrNotices = new BufferedWriter(process.stderr);
  // Written beside the status lines, which are erased and drawn again around them.
  const notices = {
    line: (text: string): void => logs.aside(() => {
      stderrNotices.line(text);
      stderrNotices.flush();
    }),
    flush: (): void => stderrNotices.flush(),
  };
  const status = liveStatus(logs);
  const listener: ExecutionListener = {
    log: (record) => {
      if (record.level !== 'TRACE' && record.level !== 'DEBUG') logs.line(formatLogLine(record, logs.colour, options.timestamps));
    },
    ...status.listener,
  };
  const engine = await Engine.open({ ...engineFilesOf(options), listener });
  let cleanUpLimit: NodeJS.Timeout | undefined;
  // Every signal, the first or a later one, leads to the same clean-up: only its time is bounded.
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted ||= signal === 'SIGINT';
    if (cleanUpLimit) {
      notices.line(`harrier: ${signal} received again: the clean-up is still running (at most ${formatDurationMs(CLEAN_UP_LIMIT_MS)} in all)`);
      notices.flush();
      return;
    }
    notices.line(`harrier: ${signal} received, killing the execution and cleaning up what it started`);
    notices.flush();
    cleanUpLimit = setTimeout(async () => {
      await engine.abandonAll(`the clean-up after ${signal} did not finish within ${formatDurationMs(CLEAN_UP_LIMIT_MS)}: `
        + 'a container, volume or pod of this execution may be left behind (look for the harrier.io/execution-id label)');
      notices.line('harrier: the clean-up took too long; the execution is stored KILLED and harrier exits');
      notices.flush();
      process.exit(130);
    }, CLEAN_UP_LIMIT_MS);
    cleanUpLimit.unref();
    engine.abortAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { execution, flow } = await prepare(engine);
    notices.line(`Execution ${execution.id} started (flow ${execution.namespace}.${execution.flowId}, state dir ${stateDirOf(options)})`);
    notices.flush();
    const ended = await engine.runChain(execution, flow, async (retried, next) => {
      await logs.drain();
      const { attemptNumber, originalId } = lineageOf(next);
      notices.line(`Execution ${retried.id} ended RETRIED: the flow runs again as execution ${next.id} at ${next.options.notBefore ?? 'once'}`
        + ` (execution ${attemptNumber} of the chain that began with ${originalId})`);
      notices.flush();
    });
    await engine.waitForDetached();
    status.stop();
    await logs.drain();
    const secrets = engine.secretsFor(ended);
    const out = new BufferedWriter(process.stdout);
    if (format !== 'text') {
      out.line(await documentText(format, secrets.redact(await executionDocument(engine.store, ended))));
    } else {
      const lines = summaryLines(ended, await engine.store.taskRuns(ended.id), await attemptsByTaskRun(engine.store, ended.id), out.colour);
      for (const line of lines) out.line(secrets.masker.mask(line));
    }
    await out.drain();
    // Ctrl-C is 130 whatever the execution's end, as shells report an interrupted command.
    if (interrupted) return 130;
    return ended.state === 'SUCCESS' || ended.state === 'WARNING' ? 0 : 1;
  } finally {
    clearTimeout(cleanUpLimit);
    status.stop();
    await logs.drain();
    // After a signal the process is on its way out: a second one must not cut that short.
    if (!cleanUpLimit) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await engine.close();
  }
}
