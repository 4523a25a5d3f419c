/**
 * Kestra's `jq` filter runs real jq: jq-wasm (jq 1.8 compiled to WebAssembly). jq-wasm loads
 * asynchronously and expressions render synchronously, so jq runs in a worker thread and the
 * caller waits for its answer (Atomics.wait); the worker starts on first use and never keeps the
 * process alive. A query that runs longer than JQ_TIMEOUT_MS is stopped with an error.
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { EvalFailure } from './errors.ts';
import type { JqReply, JqRequest } from './jq-worker.ts';

export const JQ_TIMEOUT_MS = 10_000;

/** The worker beside this module: its .ts source when run from the sources, its build when built. */
const WORKER_FILE = import.meta.url.endsWith('.ts') ? './jq-worker.ts' : './jq-worker.js';

interface JqWorker {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
}

let running: JqWorker | undefined;

/** Loaded on first use: every expression module is loaded at start-up, and few flows call jq. */
function workerThreads(): typeof import('node:worker_threads') {
  return process.getBuiltinModule('node:worker_threads');
}

function startWorker(): JqWorker {
  const { MessageChannel, Worker } = workerThreads();
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL(WORKER_FILE, import.meta.url), { workerData: { port: port2, signal }, transferList: [port2] });
  worker.unref();
  port1.unref();
  worker.on('error', () => {
    running = undefined;
  });
  return { worker, port: port1, signal };
}

/** Runs `query` on JSON text; returns each output as compact JSON text. */
export function runJq(input: string, query: string): string[] {
  running ??= startWorker();
  const { worker, port, signal } = running;
  Atomics.store(signal, 0, 0);
  port.postMessage({ input, query } satisfies JqRequest);
  if (Atomics.wait(signal, 0, 0, JQ_TIMEOUT_MS) === 'timed-out') {
    running = undefined;
    void worker.terminate();
    throw new EvalFailure(`jq did not finish within ${JQ_TIMEOUT_MS / 1000} s`);
  }
  const reply = workerThreads().receiveMessageOnPort(port)?.message as JqReply | undefined;
  if (!reply) throw new EvalFailure('jq stopped without an answer');
  if ('error' in reply) throw new EvalFailure(reply.error);
  return reply.outputs;
}
