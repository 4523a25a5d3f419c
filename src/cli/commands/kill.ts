import { setTimeout as sleep } from 'node:timers/promises';
import { HarrierError } from '../../shared/errors.ts';
import { isTerminal, type ExecutionRecord } from '../../store/index.ts';
import type { Engine } from '../../engine/index.ts';
import { stateDirOf } from '../context.ts';
import { formatOf, printDocument } from '../output.ts';
import { attemptsByTaskRun, executionDocument, formatLogLine, summaryLines } from '../report.ts';
import { BufferedWriter } from '../terminal.ts';
import { openExisting } from './inspect.ts';

/** How long the owner of a running execution may take to kill it (its own clean-up is bounded by 60 s). */
const OWNER_KILL_WAIT_MS = 90_000;

/**
 * `harrier kill ID`: a live harrier process that runs the execution gets SIGTERM and does its own
 * clean-up; for one whose process died, this process removes what it left and stores it KILLED.
 */
export async function killCommand(id: string, options: { stateDir?: string; output?: string; json?: boolean }): Promise<number> {
  const notices = new BufferedWriter(process.stderr);
  const logs = new BufferedWriter(process.stderr);
  // What the clean-up of an orphaned execution logs (containers removed, pods deleted) is shown as it happens.
  const engine = await openExisting(stateDirOf(options), id, {
    log: (record) => {
      if (record.level !== 'TRACE' && record.level !== 'DEBUG') logs.line(formatLogLine(record, logs.colour));
    },
  });
  try {
    const target = await engine.currentOf(id);
    if (isTerminal(target.state) && !(target.state === 'FAILED' && target.failure?.code === 'STORE_DISK_FULL')) {
      notices.line(`execution ${target.id} already ended ${target.state}: nothing to kill`);
      await notices.drain();
      return await report(engine, target, options);
    }
    const owner = await engine.liveOwnerOf(target.id);
    let ended: ExecutionRecord;
    if (owner) {
      notices.line(`execution ${target.id} is run by harrier process ${owner.pid}: sending it SIGTERM`);
      notices.flush();
      process.kill(owner.pid, 'SIGTERM');
      ended = await waitForEnd(engine, target.id);
    } else {
      notices.line(`no harrier process runs execution ${target.id}: removing what it left running`);
      notices.flush();
      ended = await engine.killOrphaned(target.id);
      await logs.drain();
    }
    return await report(engine, ended, options);
  } finally {
    await engine.close();
  }
}

async function waitForEnd(engine: Engine, executionId: string): Promise<ExecutionRecord> {
  const deadline = Date.now() + OWNER_KILL_WAIT_MS;
  for (;;) {
    const execution = (await engine.store.getExecution(executionId))!;
    if (isTerminal(execution.state)) return execution;
    if (Date.now() > deadline) {
      throw new HarrierError(`execution ${executionId} did not end within ${OWNER_KILL_WAIT_MS / 1000} s of SIGTERM to its harrier process`, {
        code: 'EXECUTION_KILL_TIMEOUT',
        hint: 'look at that process (harrier logs ID shows what it did); once it is gone, harrier kill ID cleans up',
      });
    }
    await sleep(100);
  }
}

async function report(engine: Engine, execution: ExecutionRecord, options: { output?: string; json?: boolean }): Promise<number> {
  const format = formatOf(options);
  const secrets = engine.secretsFor(execution);
  if (format !== 'text') {
    await printDocument(format, secrets.redact(await executionDocument(engine.store, execution)));
  } else {
    const out = new BufferedWriter(process.stdout);
    const lines = summaryLines(execution, await engine.store.taskRuns(execution.id), await attemptsByTaskRun(engine.store, execution.id), out.colour);
    for (const line of lines) out.line(secrets.masker.mask(line));
    await out.drain();
  }
  return 0;
}
