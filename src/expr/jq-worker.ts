/**
 * The worker behind src/expr/jq.ts: runs jq (jq-wasm, jq compiled to WebAssembly) for a caller
 * that waits synchronously. Each request is answered on the port, then the shared signal is raised.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { loadJq } from 'jq-wasm';

export interface JqRequest {
  input: string;
  query: string;
}

export type JqReply = { outputs: string[] } | { error: string };

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };
const jqReady = loadJq();

/** jq's own message without its `jq: error (at <stdin>:0):` prefix. */
function jqMessage(stderr: string): string {
  const line = stderr.split('\n').find((text) => text.trim() !== '') ?? 'jq failed';
  return line.replace(/^jq: error( \(at [^)]*\))?: /, '').replace(/^jq: /, '').trim();
}

port.on('message', async ({ input, query }: JqRequest) => {
  let reply: JqReply;
  try {
    const jq = await jqReady;
    const result = jq.raw(input, query, ['-c']);
    reply = result.exitCode === 0
      ? { outputs: result.stdout.split('\n').filter((line) => line !== '') }
      : { error: jqMessage(result.stderr) };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    reply = { error: stderr ? jqMessage(stderr) : (error as Error).message };
  }
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
