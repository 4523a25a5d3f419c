/** `/api/v1/openapi.json`: the OpenAPI 3.1 document of the routes, built from the router itself. */
import type { Router } from '../http.ts';

export function openApiDocument(router: Router, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of router.list()) {
    const parameters = [...route.template.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));
    paths[route.template] ??= {};
    paths[route.template][route.method.toLowerCase()] = {
      summary: route.summary,
      parameters,
      responses: { default: { description: 'JSON; errors are {message, code}', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Harrier API', version, description: 'Kestra-compatible paths and shapes for flows, executions, logs and namespace files.' },
    paths,
    components: {
      schemas: { Error: { type: 'object', properties: { message: { type: 'string' }, code: { type: 'string' } }, required: ['message', 'code'] } },
      securitySchemes: { basic: { type: 'http', scheme: 'basic' }, bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
