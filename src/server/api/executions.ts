/** Kestra's execution endpoints: create (multipart inputs), read, search, follow, kill, restart, replay, files. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseFlow } from '../../flow/parse.ts';
import { hasCode, InputError, type HarrierError } from '../../shared/errors.ts';
import { isTerminal, STATES, STORAGE_SCHEME, type ExecutionRecord, type State } from '../../store/index.ts';
import { deployedFlowFile } from '../../engine/flow-finder.ts';
import { replayExecution } from '../../engine/replay.ts';
import type { ServerResponse } from 'node:http';
import { apiError, mediaType, queryInt, sendJson, startEvents, type Router } from '../http.ts';
import { executionShape, executionSummary, readExecutionShape } from '../kestra-shapes.ts';
import { readMultipart } from '../multipart.ts';
import { executionOr404, FOLLOW_GAP_MS, FOLLOW_POLL_MS, type ApiContext } from './context.ts';

/** `labels=key:value` query parameters (Kestra's form), repeatable; a search may name system labels, a new execution may not set them. */
function labelsOf(query: URLSearchParams, use: 'search' | 'set'): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const text of query.getAll('labels')) {
    const colon = text.indexOf(':');
    if (colon <= 0) throw apiError('REQUEST_INVALID', `label '${text}' must look like key:value`);
    const key = text.slice(0, colon);
    if (use === 'set' && key.startsWith('system.')) throw apiError('REQUEST_INVALID', `label '${key}' is reserved: system labels are set by harrier`);
    labels[key] = text.slice(colon + 1);
  }
  return labels;
}

export function executionRoutes(router: Router, ctx: ApiContext): void {
  const { engine } = ctx;
  const store = engine.store;
  const find = (id: string): Promise<ExecutionRecord> => executionOr404(ctx, id);
  /** The Kestra document with the execution's secrets masked. */
  const document = async (execution: ExecutionRecord): Promise<unknown> => engine.secretsFor(execution).redact(await readExecutionShape(store, execution));
  const untilEnded = async (id: string, response: ServerResponse): Promise<ExecutionRecord> => {
    for (;;) {
      const changed = engine.changes.next(id, ['execution'], FOLLOW_POLL_MS);
      const execution = await find(id);
      // A client that went away stops the wait, not the execution.
      if (isTerminal(execution.state) || response.destroyed) return execution;
      await changed;
    }
  };

  router.add('GET', '/api/v1/executions/search', 'Search executions (namespace, flowId, state, labels, startDate, endDate, page, size)', async (request, response) => {
    const { query } = request;
    const states = query.getAll('state').flatMap((text) => text.split(','));
    for (const state of states) {
      if (!(STATES as readonly string[]).includes(state)) throw apiError('REQUEST_INVALID', `state '${state}' is not one of ${STATES.join(', ')}`);
    }
    const size = queryInt(query, 'size', 25, 1000);
    const page = Math.max(1, queryInt(query, 'page', 1));
    const found = await store.searchExecutions({
      namespace: query.get('namespace') ?? undefined,
      flowId: query.get('flowId') ?? undefined,
      states: states as State[],
      labels: labelsOf(query, 'search'),
      startDate: query.get('startDate') ?? undefined,
      endDate: query.get('endDate') ?? undefined,
    }, { offset: (page - 1) * size, limit: size });
    sendJson(response, 200, { results: found.results.map((execution) => engine.secretsFor(execution).redact(executionSummary(execution))), total: found.total });
  });

  router.add('GET', '/api/v1/executions/{id}', 'An execution in Kestra\'s shape', async (request, response) => {
    sendJson(response, 200, await document(await find(request.params.id)));
  });

  router.add('GET', '/api/v1/executions/{id}/follow', 'Server-Sent Events: the execution at each change, until it ends', async (request, response) => {
    const { id } = await find(request.params.id);
    const events = startEvents(request.raw, response);
    let last = '';
    for (;;) {
      // A burst of writes (a task's end is several) is read once, FOLLOW_GAP_MS after the first.
      const changed = engine.changes.next(id, ['execution', 'taskRuns'], FOLLOW_POLL_MS).then(() => sleep(FOLLOW_GAP_MS));
      const execution = await find(id);
      const text = JSON.stringify(await document(execution));
      if (text !== last) events.send(JSON.parse(text));
      last = text;
      if (isTerminal(execution.state) || events.closed()) break;
      await changed;
    }
    events.end();
  });

  router.add('DELETE', '/api/v1/executions/{id}/kill', 'Kill an execution (the slot running it kills it within one lease renewal)', async (request, response) => {
    const execution = await find(request.params.id);
    if (isTerminal(execution.state)) throw apiError('CONFLICT', `execution ${execution.id} already ended ${execution.state}`);
    await store.requestKill(execution.id);
    // Waiting in the queue: nothing runs, so it ends here (unless a slot takes it this very moment).
    if (execution.state === 'CREATED') await store.endUnheld(execution.id, 'KILLED');
    sendJson(response, 202, await document(await find(execution.id)));
  });

  router.add('POST', '/api/v1/executions/{id}/restart', 'Restart a FAILED or KILLED execution from its failed tasks', async (request, response) => {
    const execution = await find(request.params.id);
    if (!(await store.restartExecution(execution.id))) {
      throw apiError('CONFLICT', `execution ${execution.id} is ${execution.state}: only a FAILED or KILLED execution can be restarted`);
    }
    sendJson(response, 200, await document(await find(execution.id)));
  });

  router.add('POST', '/api/v1/executions/{id}/replay', 'Run an execution again as a new one (same inputs), from a task run (taskRunId=...), of another flow revision (revision=N)', async (request, response) => {
    const old = await find(request.params.id);
    const revision = request.query.has('revision') ? queryInt(request.query, 'revision', 0) : undefined;
    let flowSource = old.flowSource;
    if (revision !== undefined) {
      const deployed = (await store.flowRevisions(old.namespace, old.flowId)).find((flow) => flow.revision === revision);
      if (!deployed) {
        throw apiError('FLOW_REVISION_NOT_FOUND', `flow ${old.namespace}.${old.flowId} has no revision ${revision}`, `GET /api/v1/flows/${old.namespace}/${old.flowId}/revisions lists them`);
      }
      flowSource = deployed.source;
    }
    const replay = await replayExecution(store, old, { flowSource, flowRevision: revision, fromTaskRunId: request.query.get('taskRunId') ?? undefined });
    sendJson(response, 200, await document(await find(replay.id)));
  });

  router.add('GET', '/api/v1/executions/{id}/file', 'Download an output file by its kestra:/// URI (path=...)', async (request, response) => {
    const execution = await find(request.params.id);
    const uri = request.query.get('path') ?? '';
    const prefixes = engine.storage.readablePrefixes({ namespace: execution.namespace, flowId: execution.flowId, executionId: execution.id }, execution.options.replayOf);
    const refused = (): HarrierError => apiError('REQUEST_INVALID', `path must be a ${STORAGE_SCHEME}/ URI of this execution's files (${STORAGE_SCHEME}/${prefixes[0]}/...)`);
    if (!engine.storage.isUri(uri)) throw refused();
    let path: string;
    try {
      path = await engine.storage.resolveUri(uri, prefixes);
    } catch (error) {
      if (hasCode(error, 'HOST_PATH_REFUSED', 'PATH_UNSAFE')) throw refused();
      throw apiError('NOT_FOUND', `execution ${execution.id} has no file ${uri}`);
    }
    const { size } = await stat(path);
    const name = uri.slice(uri.lastIndexOf('/') + 1).replace(/["\\\r\n]/g, '_');
    response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size, 'Content-Disposition': `attachment; filename="${name}"` });
    await new Promise<void>((resolve, reject) => createReadStream(path).on('error', reject).pipe(response).on('finish', resolve).on('close', resolve));
  });

  router.add('POST', '/api/v1/executions/{namespace}/{flowId}', 'Create an execution of a deployed flow (multipart inputs, FILE uploads; wait, labels)', async (request, response) => {
    const { namespace, flowId } = request.params;
    const deployed = await store.getFlow(namespace, flowId);
    if (!deployed) throw apiError('FLOW_NOT_FOUND', `no flow ${namespace}.${flowId} is deployed`, 'deploy it with POST /api/v1/flows');
    const labels = labelsOf(request.query, 'set');
    const wait = request.query.get('wait') === 'true';
    const flow = parseFlow(deployed.source, deployedFlowFile(namespace, flowId));
    const type = mediaType(request.raw);
    if (type !== '' && type !== 'multipart/form-data') throw apiError('UNSUPPORTED_MEDIA_TYPE', `inputs are sent as multipart/form-data, not '${type}'`);
    const body = type === '' ? undefined : await readMultipart(request.raw, join(ctx.stateDir, 'uploads'), {
      fileBytes: ctx.limits.uploadBytes, fieldBytes: ctx.limits.bodyBytes, files: 100, fields: 1000,
    });
    let execution: ExecutionRecord;
    try {
      const rawInputs: Record<string, string> = {};
      for (const [name, value] of Object.entries(body?.fields ?? {})) {
        if (flow.inputs.find((input) => input.id === name)?.type === 'FILE') {
          // A path in a text field would make the server read its own files: FILE inputs are uploads only.
          throw new InputError(`input '${name}' is a FILE: upload the file as a multipart file part, not a text field`);
        }
        rawInputs[name] = value;
      }
      for (const file of body?.files ?? []) rawInputs[file.field] = file.path;
      execution = await engine.createExecution({
        flow, flowSource: deployed.source, flowFile: deployedFlowFile(namespace, flowId), rawInputs, labels, queued: true,
        options: { flowRevision: deployed.revision },
      });
    } finally {
      await body?.dispose();
    }
    if (wait) {
      sendJson(response, 200, await document(await untilEnded(execution.id, response)));
      return;
    }
    // Kestra answers with the execution as created: no task run yet, nothing to read back.
    sendJson(response, 200, engine.secretsFor(execution).redact(executionShape(execution, [], [])));
  });
}
