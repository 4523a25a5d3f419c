/** `run`, `resume`, `executions` and `logs` against a harrier server (`--server URL` or HARRIER_SERVER). */
import { dirname, resolve } from 'node:path';
import { HarrierClient, isEnded, type KestraExecution, type KestraLogEntry } from '../../client/client.ts';
import { localSubflows } from '../../engine/flow-finder.ts';
import { UsageError } from '../../shared/errors.ts';
import type { LogRecord } from '../../store/index.ts';
import { parseInputOptions } from '../context.ts';
import { documentText, formatOf, printDocument, type OutputFormat } from '../output.ts';
import { alignedTable, formatLogLine } from '../report.ts';
import { BufferedWriter } from '../terminal.ts';
import { readFlowFile, type RunOptions } from './run.ts';

function asRecord(executionId: string, entry: KestraLogEntry): LogRecord {
  return {
    executionId, taskId: entry.taskId ?? undefined, taskRunId: entry.taskRunId ?? undefined,
    attempt: entry.attemptNumber === null ? undefined : entry.attemptNumber + 1, level: entry.level, timestamp: entry.timestamp, line: entry.message,
  };
}

/** Follows the logs to the end, then prints the execution (JSON or one line); exit code from its state. */
async function followToEnd(client: HarrierClient, execution: KestraExecution, format: OutputFormat): Promise<number> {
  const logs = new BufferedWriter(format !== 'text' ? process.stderr : process.stdout);
  await client.followLogs(execution.id, (entry) => {
    if (entry.level !== 'TRACE' && entry.level !== 'DEBUG') logs.line(formatLogLine(asRecord(execution.id, entry), logs.colour));
  });
  await logs.drain();
  let ended = await client.getExecution(execution.id);
  // The log stream ends with the execution; the state is read until the server shows the end.
  for (let i = 0; i < 50 && !isEnded(ended); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    ended = await client.getExecution(execution.id);
  }
  const out = new BufferedWriter(process.stdout);
  out.line(format !== 'text' ? await documentText(format, ended) : `\nExecution ${ended.id} ${ended.state.current} (flow ${ended.namespace}.${ended.flowId})`);
  await out.drain();
  return ended.state.current === 'SUCCESS' || ended.state.current === 'WARNING' ? 0 : 1;
}

export async function remoteRun(server: string, flowPath: string, options: RunOptions): Promise<number> {
  for (const [flag, value] of [['--secrets-file', options.secretsFile], ['--task-runner', options.taskRunner], ['--namespace-files', options.namespaceFiles], ['--state-dir', options.stateDir]] as const) {
    if (value !== undefined) throw new UsageError(`${flag} does not apply with --server: the server has its own (upload namespace files through its API)`);
  }
  const { source, flow } = await readFlowFile(flowPath);
  const client = new HarrierClient(server);
  // The subflows `harrier run` would find next to the flow (or in --flows) go to the server with it, so that it runs there as here.
  for (const child of await localSubflows(flow, (options.flows?.length ? options.flows : [dirname(flowPath)]).map((dir) => resolve(dir)))) {
    const deployed = await client.deployFlow(child.source, child.flow.namespace, child.flow.id);
    process.stderr.write(`Subflow ${child.flow.namespace}.${child.flow.id} deployed from ${child.file} (revision ${deployed.revision})\n`);
  }
  const { revision } = await client.deployFlow(source, flow.namespace, flow.id);
  const execution = await client.createExecution(flow.namespace, flow.id, parseInputOptions(options.input));
  process.stderr.write(`Execution ${execution.id} started (flow ${flow.namespace}.${flow.id} revision ${revision}, server ${server})\n`);
  return followToEnd(client, execution, formatOf(options));
}

export async function remoteResume(server: string, id: string, options: { json?: boolean; output?: string }): Promise<number> {
  const client = new HarrierClient(server);
  const execution = await client.getExecution(id);
  // The server resumes its executions by itself: this follows it to its end.
  if (!isEnded(execution)) process.stderr.write(`Execution ${execution.id} is ${execution.state.current} on ${server}; following it\n`);
  return followToEnd(client, execution, formatOf(options));
}

export async function remoteExecutions(server: string, options: { json?: boolean; output?: string; limit?: string }): Promise<number> {
  const limit = options.limit === undefined ? 50 : Number(options.limit);
  if (!Number.isInteger(limit) || limit <= 0 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, not '${options.limit}'`);
  const executions = await new HarrierClient(server).searchExecutions(limit);
  const format = formatOf(options);
  if (format !== 'text') {
    await printDocument(format, executions.map((e) => ({ id: e.id, flowId: e.flowId, namespace: e.namespace, state: e.state.current, startDate: e.state.startDate, endDate: e.state.endDate })));
    return 0;
  }
  const out = new BufferedWriter(process.stdout);
  if (executions.length === 0) {
    out.line(`no executions on ${server}`);
  } else {
    const rows = [['ID', 'FLOW', 'STATE', 'STARTED']];
    for (const e of executions) rows.push([e.id, `${e.namespace}.${e.flowId}`, e.state.current, e.state.startDate.replace('T', ' ').slice(0, 19)]);
    for (const line of alignedTable(rows)) out.line(line);
  }
  await out.drain();
  return 0;
}

export async function remoteLogs(server: string, id: string, options: { task?: string; follow?: boolean; all?: boolean }): Promise<number> {
  const client = new HarrierClient(server);
  const out = new BufferedWriter(process.stdout);
  const print = (entry: KestraLogEntry): void => {
    if (options.all || (entry.level !== 'TRACE' && entry.level !== 'DEBUG')) out.line(formatLogLine(asRecord(id, entry), out.colour));
  };
  if (options.follow) await client.followLogs(id, print, options.task);
  else for (const entry of await client.logs(id, options.task)) print(entry);
  await out.drain();
  return 0;
}

/** `kill --server`: the server's slot that runs the execution, in whichever process, kills it. */
export async function remoteKill(server: string, id: string, options: { json?: boolean; output?: string }): Promise<number> {
  const client = new HarrierClient(server);
  await client.killExecution(id);
  let execution = await client.getExecution(id);
  for (let i = 0; i < 600 && !isEnded(execution); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    execution = await client.getExecution(id);
  }
  const format = formatOf(options);
  if (format !== 'text') await printDocument(format, execution);
  else process.stderr.write(`Execution ${execution.id} ${execution.state.current} on ${server}\n`);
  return isEnded(execution) ? 0 : 1;
}
