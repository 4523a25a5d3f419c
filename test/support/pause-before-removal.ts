/**
 * Loaded with `--import` into a harrier process: its first request to the Docker engine to remove
 * a container (DELETE /containers/...) is never sent, and the process says so on stderr, so that a
 * test can SIGKILL it exactly between an attempt's stored end and the removal of its container,
 * a window of milliseconds that no timing could hit. Nothing in harrier itself knows of it: the
 * request is held at Node's http client, where the Docker runner's Engine API calls go out.
 */
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';

export const PAUSED_MARK = 'harrier-test: paused before removing';

const request = http.request;
let paused = false;

function held(options: unknown): boolean {
  const { method, path } = (options ?? {}) as { method?: string; path?: string };
  return !paused && method === 'DELETE' && typeof path === 'string' && path.startsWith('/containers/');
}

http.request = function pausing(this: unknown, ...args: Parameters<typeof http.request>) {
  const outgoing = request.apply(this, args);
  const options = typeof args[0] === 'object' && !(args[0] instanceof URL) ? args[0] : args[1];
  if (held(options)) {
    paused = true;
    process.stderr.write(`${PAUSED_MARK} ${(options as { path: string }).path}\n`);
    // Never ended, so never sent: the removal waits until the test kills the process.
    outgoing.end = () => outgoing;
  }
  return outgoing;
} as typeof http.request;
// Patched before harrier loads: whether it takes node:http from process.getBuiltinModule, require or
// an ES import (whose named bindings this updates), it gets this `request`.
syncBuiltinESMExports();
