/** The pods and namespaces REST endpoints: create, get, list, delete (watch is in watch.ts). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { rfc3339 } from './clock.ts';
import { readBody, sendJson, queryInt, type RequestInfo, type SimContext } from './context.ts';
import { EVENT_FIELDS } from './events.ts';
import { defaultPod, randomSuffix, validatePod } from './pod-defaults.ts';
import { matchesFields, matchesLabels, NAMESPACE_FIELDS, parseFieldSelector, parseLabelSelector, POD_FIELDS, SelectorError } from './selectors.ts';
import { alreadyExists, ApiError, badRequest, conflict, failure, invalid, invalidValue, notFound } from './status-errors.ts';
import { podTable, TABLE_CONTENT_TYPE, wantsTable } from './table.ts';
import type { Pod } from './types.ts';

export function requireNamespace(ctx: SimContext, namespace: string): void {
  if (!ctx.namespaces.has(namespace)) throw new ApiError(notFound('namespaces', namespace));
}

function parseJson(body: Buffer, contentType: string | undefined): unknown {
  if (contentType && !contentType.includes('json') && !contentType.includes('yaml') && body.length) {
    throw new ApiError(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`));
  }
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ApiError(badRequest(`the object provided is unrecognized or invalid: ${(error as Error).message}`));
  }
}

/** A list item: the stored object without kind/apiVersion, as the apiserver lists typed objects. */
function listItem(pod: Pod): Omit<Pod, 'kind' | 'apiVersion'> {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = pod;
  return rest;
}

export async function createPod(ctx: SimContext, info: RequestInfo, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = parseJson(await readBody(req), req.headers['content-type']) as Pod | undefined;
  const namespace = info.namespace!;
  if (!body || typeof body !== 'object') throw new ApiError(badRequest('the body of the request was empty or not an object'));
  if (body.kind !== undefined && body.kind !== 'Pod') throw new ApiError(badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (v1)`));
  body.metadata ??= {};
  if (body.metadata.namespace && body.metadata.namespace !== namespace) {
    throw new ApiError(badRequest('the namespace of the provided object does not match the namespace sent on the request'));
  }
  const name = body.metadata.name || (body.metadata.generateName ? `${body.metadata.generateName}${randomSuffix()}` : '');
  const errors = validatePod({ ...body, metadata: { ...body.metadata, name: name || undefined } } as Pod);
  if (errors.length) throw new ApiError(invalid('Pod', name, errors));
  requireNamespace(ctx, namespace);
  if (ctx.store.has(namespace, name)) throw new ApiError(alreadyExists('pods', name));
  if (info.query.get('dryRun') === 'All') {
    sendJson(res, 201, defaultPod(body, { name, namespace, resourceVersion: '' }));
    return;
  }
  const pod = defaultPod(body, { name, namespace, resourceVersion: String(ctx.store.nextRevision()) });
  sendJson(res, 201, ctx.store.create(pod));
}

export function getPod(ctx: SimContext, info: RequestInfo, req: IncomingMessage, res: ServerResponse): void {
  const pod = ctx.store.get(info.namespace!, info.name!);
  if (!pod) throw new ApiError(notFound('pods', info.name!));
  if (wantsTable(req.headers.accept)) sendJson(res, 200, podTable([pod], { resourceVersion: pod.metadata.resourceVersion }), TABLE_CONTENT_TYPE);
  else sendJson(res, 200, pod);
}

export interface PodFilter {
  namespace?: string;
  matches: (pod: Pod) => boolean;
}

export function podFilter(info: RequestInfo): PodFilter {
  try {
    const labels = parseLabelSelector(info.query.get('labelSelector') ?? undefined);
    const fields = parseFieldSelector(info.query.get('fieldSelector') ?? undefined, POD_FIELDS);
    return { namespace: info.namespace, matches: (pod) => matchesLabels(labels, pod.metadata.labels) && matchesFields(fields, pod, POD_FIELDS) };
  } catch (error) {
    if (error instanceof SelectorError) throw new ApiError(badRequest(error.message));
    throw error;
  }
}

export function listPods(ctx: SimContext, info: RequestInfo, req: IncomingMessage, res: ServerResponse): void {
  const filter = podFilter(info);
  const resourceVersion = String(ctx.store.resourceVersion);
  let items = ctx.store.list(filter.namespace).filter(filter.matches);
  const limit = queryInt(info.query, 'limit');
  const token = info.query.get('continue');
  const offset = token ? decodeContinue(token) : 0;
  items = items.slice(offset);
  const metadata: Record<string, unknown> = { resourceVersion };
  if (limit && limit > 0 && items.length > limit) {
    items = items.slice(0, limit);
    metadata.continue = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(resourceVersion), start: offset + limit })).toString('base64url');
    metadata.remainingItemCount = ctx.store.list(filter.namespace).filter(filter.matches).length - offset - limit;
  }
  if (wantsTable(req.headers.accept)) sendJson(res, 200, podTable(items, metadata), TABLE_CONTENT_TYPE);
  else sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata, items: items.map(listItem) });
}

function decodeContinue(token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: number };
    if (typeof parsed.start === 'number') return parsed.start;
  } catch {
    // fall through to the error below
  }
  throw new ApiError(badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)'));
}

interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export async function deletePod(ctx: SimContext, info: RequestInfo, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = (parseJson(await readBody(req), req.headers['content-type']) ?? {}) as DeleteOptions;
  const namespace = info.namespace!;
  const name = info.name!;
  const pod = ctx.store.get(namespace, name);
  if (!pod) throw new ApiError(notFound('pods', name));
  const pre = body.preconditions;
  if (pre?.uid && pre.uid !== pod.metadata.uid) {
    throw new ApiError(conflict('pods', name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${pod.metadata.uid}`));
  }
  if (pre?.resourceVersion && pre.resourceVersion !== pod.metadata.resourceVersion) {
    throw new ApiError(conflict('pods', name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${pod.metadata.resourceVersion}`));
  }
  const fromQuery = queryInt(info.query, 'gracePeriodSeconds');
  const requested = fromQuery ?? body.gracePeriodSeconds;
  if (requested !== undefined && requested < 0) throw new ApiError(invalid('DeleteOptions', '', [invalidValue('gracePeriodSeconds', requested, 'must be greater than or equal to 0')]));
  sendJson(res, 200, deletePodNow(ctx, namespace, name, requested));
}

/** The registry's graceful delete (CheckGracefulDelete), shared with the "someone else deletes" fault. */
export function deletePodNow(ctx: SimContext, namespace: string, name: string, requested: number | undefined): Pod {
  const pod = ctx.store.get(namespace, name);
  if (!pod) throw new ApiError(notFound('pods', name));
  let grace = requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  const terminal = pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed';
  if (!pod.spec.nodeName || terminal) grace = 0;
  if (pod.metadata.deletionTimestamp) {
    // A second delete may only shorten the grace period.
    const current = pod.metadata.deletionGracePeriodSeconds ?? 0;
    if (grace >= current) return pod;
  }
  if (grace === 0) return ctx.store.remove(namespace, name)!;
  return ctx.store.update(namespace, name, (stored) => {
    stored.metadata.deletionTimestamp = rfc3339(new Date(Date.now() + grace * 1000));
    stored.metadata.deletionGracePeriodSeconds = grace;
  })!;
}

export function namespaceObject(ctx: SimContext, name: string): Record<string, unknown> {
  const ns = ctx.namespaces.get(name);
  if (!ns) throw new ApiError(notFound('namespaces', name));
  return {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: { name: ns.name, uid: ns.uid, resourceVersion: ns.resourceVersion, creationTimestamp: ns.creationTimestamp, labels: { 'kubernetes.io/metadata.name': ns.name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export function listNamespaces(ctx: SimContext, info: RequestInfo, res: ServerResponse): void {
  let fields;
  let labels;
  try {
    fields = parseFieldSelector(info.query.get('fieldSelector') ?? undefined, NAMESPACE_FIELDS);
    labels = parseLabelSelector(info.query.get('labelSelector') ?? undefined);
  } catch (error) {
    if (error instanceof SelectorError) throw new ApiError(badRequest(error.message));
    throw error;
  }
  const items = [...ctx.namespaces.keys()].sort().map((name) => namespaceObject(ctx, name))
    .filter((ns) => matchesFields(fields, ns as never, NAMESPACE_FIELDS) && matchesLabels(labels, (ns.metadata as { labels: Record<string, string> }).labels))
    .map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
  sendJson(res, 200, { kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: String(ctx.store.resourceVersion) }, items });
}

export function listEvents(ctx: SimContext, info: RequestInfo, res: ServerResponse): void {
  let fields;
  try {
    fields = parseFieldSelector(info.query.get('fieldSelector') ?? undefined, EVENT_FIELDS);
  } catch (error) {
    if (error instanceof SelectorError) throw new ApiError(badRequest(error.message));
    throw error;
  }
  const items = ctx.events.list(info.namespace).filter((event) => fields.every((req) => (EVENT_FIELDS[req.field](event) === req.value) === (req.op === '=')));
  sendJson(res, 200, { kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: String(ctx.store.resourceVersion) }, items });
}
