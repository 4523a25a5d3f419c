/** Kestra's flow endpoints: YAML in, revisions kept, 422 with `harrier validate`'s located messages. */
import type { ServerResponse } from 'node:http';
import { parseFlow } from '../../flow/parse.ts';
import type { Flow } from '../../flow/model.ts';
import type { DeployedFlow } from '../../store/index.ts';
import { apiError, mediaType, readBody, sendJson, type Request, type Router } from '../http.ts';
import { flowShape } from '../kestra-shapes.ts';
import type { ApiContext } from './context.ts';

const YAML_TYPES = new Set(['application/x-yaml', 'application/yaml', 'text/yaml', 'text/x-yaml']);

/** The flow in a request body; the file name in messages says where the YAML came from. */
async function flowFromBody(request: Request, ctx: ApiContext): Promise<{ source: string; flow: Flow }> {
  if (!YAML_TYPES.has(mediaType(request.raw))) {
    throw apiError('UNSUPPORTED_MEDIA_TYPE', `a flow is sent as YAML (Content-Type: application/x-yaml), not '${request.raw.headers['content-type'] ?? 'none'}'`);
  }
  const source = (await readBody(request.raw, ctx.limits.bodyBytes)).toString('utf8');
  return { source, flow: parseFlow(source, 'request body') };
}

export function flowRoutes(router: Router, ctx: ApiContext): void {
  const store = ctx.engine.store;
  const found = async (namespace: string, id: string): Promise<DeployedFlow> => {
    const flow = await store.getFlow(namespace, id);
    if (!flow) throw apiError('FLOW_NOT_FOUND', `no flow ${namespace}.${id} is deployed`);
    return flow;
  };

  router.add('GET', '/api/v1/flows/search', 'List deployed flows (namespace, q)', async (request, response) => {
    const results = await store.listFlows({ namespace: request.query.get('namespace') ?? undefined, query: request.query.get('q') ?? undefined });
    sendJson(response, 200, { results: results.map((flow) => flowShape(flow)), total: results.length });
  });

  router.add('POST', '/api/v1/flows', 'Create a flow from its YAML', async (request, response) => {
    const { source, flow } = await flowFromBody(request, ctx);
    if (await store.getFlow(flow.namespace, flow.id)) {
      throw apiError('CONFLICT', `flow ${flow.namespace}.${flow.id} already exists`, `update it with PUT /api/v1/flows/${flow.namespace}/${flow.id}`);
    }
    sendJson(response, 200, flowShape(await store.saveFlow(flow.namespace, flow.id, source), flow));
  });

  router.add('PUT', '/api/v1/flows/{namespace}/{id}', 'Update a flow (a new revision)', async (request, response) => {
    const { namespace, id } = request.params;
    await found(namespace, id);
    const { source, flow } = await flowFromBody(request, ctx);
    if (flow.namespace !== namespace || flow.id !== id) {
      throw apiError('REQUEST_INVALID', `the YAML is flow ${flow.namespace}.${flow.id}, the path names ${namespace}.${id}`, 'a flow\'s id and namespace cannot change');
    }
    sendJson(response, 200, flowShape(await store.saveFlow(namespace, id, source), flow));
  });

  router.add('GET', '/api/v1/flows/{namespace}/{id}', 'Read a flow', async (request, response) => {
    sendJson(response, 200, flowShape(await found(request.params.namespace, request.params.id)));
  });

  router.add('GET', '/api/v1/flows/{namespace}/{id}/revisions', 'Every revision of a flow', async (request, response) => {
    const { namespace, id } = request.params;
    const revisions = await store.flowRevisions(namespace, id);
    if (revisions.length === 0) throw apiError('FLOW_NOT_FOUND', `no flow ${namespace}.${id} was ever deployed`);
    sendJson(response, 200, revisions.map((flow) => flowShape(flow)));
  });

  router.add('DELETE', '/api/v1/flows/{namespace}/{id}', 'Delete a flow (its queued executions end FAILED)', async (request, response: ServerResponse) => {
    const { namespace, id } = request.params;
    if (!(await store.deleteFlow(namespace, id))) throw apiError('FLOW_NOT_FOUND', `no flow ${namespace}.${id} is deployed`);
    response.writeHead(204).end();
  });
}
