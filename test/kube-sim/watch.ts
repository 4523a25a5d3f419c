/**
 * Pod watches: chunked JSON lines of {type, object}; resume from a resourceVersion out of the
 * bounded history (410 Expired as an ERROR event, then close, when it is too old), selector
 * transitions as ADDED/DELETED, periodic BOOKMARKs when asked for, and the timeout.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { queryFlag, queryInt, type RequestInfo, type SimContext } from './context.ts';
import { resetSocket } from './faults.ts';
import { podFilter } from './pods-api.ts';
import { ApiError, badRequest, expired } from './status-errors.ts';
import type { StoreEvent } from './store.ts';
import type { Pod } from './types.ts';

/** Servers close watches after 30-60 minutes when the client set no timeout. */
const DEFAULT_TIMEOUT_SECONDS = 1800;

function withKind(pod: Pod): Pod {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = pod;
  return { kind: 'Pod', apiVersion: 'v1', ...rest } as Pod;
}

export function bookmarkObject(resourceVersion: number, initialEventsEnd = false): Record<string, unknown> {
  const metadata: Record<string, unknown> = { resourceVersion: String(resourceVersion), creationTimestamp: null };
  if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return { kind: 'Pod', apiVersion: 'v1', metadata, spec: { containers: null }, status: {} };
}

/** Translates a store event for a watcher with a filter: entering or leaving the selection. */
export function translate(event: StoreEvent, matches: (pod: Pod) => boolean, namespace?: string): { type: string; object: Pod } | undefined {
  const inScope = (pod: Pod | undefined) => !!pod && (namespace === undefined || pod.metadata.namespace === namespace) && matches(pod);
  const now = inScope(event.object);
  if (event.type === 'ADDED') return now ? { type: 'ADDED', object: event.object } : undefined;
  if (event.type === 'DELETED') return inScope(event.previous ?? event.object) ? { type: 'DELETED', object: event.object } : undefined;
  const before = inScope(event.previous);
  if (before && now) return { type: 'MODIFIED', object: event.object };
  if (!before && now) return { type: 'ADDED', object: event.object };
  if (before && !now) return { type: 'DELETED', object: event.object };
  return undefined;
}

export function watchPods(ctx: SimContext, info: RequestInfo, req: IncomingMessage, res: ServerResponse, transform: (type: string, object: unknown) => unknown = (type, object) => ({ type, object })): void {
  const filter = podFilter(info);
  const rvText = info.query.get('resourceVersion');
  const rv = rvText === null || rvText === '' ? undefined : Number(rvText);
  if (rv !== undefined && !Number.isInteger(rv)) throw new ApiError(badRequest(`resourceVersion: Invalid value: "${rvText}": must be a valid resourceVersion`));
  const bookmarks = queryFlag(info.query, 'allowWatchBookmarks');
  const sendInitialEvents = queryFlag(info.query, 'sendInitialEvents');
  const timeoutSeconds = queryInt(info.query, 'timeoutSeconds') ?? DEFAULT_TIMEOUT_SECONDS;

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  ctx.stats.watchOpened();
  let closed = false;
  const write = (type: string, object: unknown) => {
    if (!closed) res.write(`${JSON.stringify(transform(type, object))}\n`);
  };

  const live: StoreEvent[] = [];
  let replaying = true;
  const deliver = (event: StoreEvent) => {
    const translated = translate(event, filter.matches, filter.namespace);
    if (translated) write(translated.type, withKind(translated.object));
  };
  const unsubscribe = ctx.store.subscribe((event) => {
    if (replaying) live.push(event);
    else deliver(event);
  });
  const stream = ctx.faults.register({ kind: 'watch', bytes: 0, cut: () => finish(true) });
  const bookmarkTimer = bookmarks ? setInterval(() => write('BOOKMARK', bookmarkObject(ctx.store.resourceVersion)), ctx.bookmarkIntervalMs) : undefined;
  const timeoutTimer = setTimeout(() => finish(false), timeoutSeconds * 1000);

  function finish(abrupt: boolean): void {
    if (closed) return;
    closed = true;
    unsubscribe();
    stream.close();
    clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    ctx.stats.watchClosed();
    if (abrupt) resetSocket(req.socket);
    else res.end();
  }
  req.on('close', () => finish(false));
  res.on('close', () => finish(false));
  // A client that gave up while the request was held (a delay fault) has closed already.
  if (req.socket.destroyed) finish(false);

  if (rv === undefined || rv === 0 || sendInitialEvents) {
    for (const pod of ctx.store.list(filter.namespace).filter(filter.matches)) write('ADDED', withKind(pod));
    if (sendInitialEvents && bookmarks) write('BOOKMARK', bookmarkObject(ctx.store.resourceVersion, true));
  } else {
    const since = ctx.store.since(rv);
    if ('expired' in since) {
      write('ERROR', expired(`too old resource version: ${rv} (${since.oldest})`));
      replaying = false;
      finish(false);
      return;
    }
    for (const event of since.events) deliver(event);
  }
  replaying = false;
  for (const event of live.splice(0)) deliver(event);
}
