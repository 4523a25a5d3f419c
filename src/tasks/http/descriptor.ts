import type { TaskBase } from '../../flow/model.ts';
import type { TaskDescriptor } from '../descriptor.ts';
import { downloadProperties, type HttpProperties, requestProperties } from './schema.ts';

export interface HttpTask extends TaskBase {
  kind: 'http';
  /** Request keeps the answer's body as an output; Download streams it into internal storage. */
  action: 'request' | 'download';
  uri: string;
  method: string;
  body?: string;
  formData?: Record<string, unknown>;
  contentType: string;
  headers: Record<string, string>;
  /** Unrendered: parsed with the options schema once rendered, the deprecated spellings folded in. */
  options: Record<string, unknown>;
  /** Download only (default true). */
  failOnEmptyResponse: boolean;
}

const REQUEST = 'io.kestra.plugin.core.http.Request';

/** `io.kestra.plugin.core.http.Request` and `Download` (and their old `fs.http` names). */
export const httpTask: TaskDescriptor<HttpTask> = {
  kind: 'http',
  variants: [
    { types: [[REQUEST, 'io.kestra.plugin.fs.http.Request']], properties: requestProperties },
    { types: [['io.kestra.plugin.core.http.Download', 'io.kestra.plugin.fs.http.Download']], properties: downloadProperties },
  ],
  model: ({ type, properties, raw }, common) => {
    const task = properties as unknown as HttpProperties;
    const options = { ...(raw.options as Record<string, unknown> | undefined) };
    // Kestra's deprecated top-level spellings of two options.
    if (task.allowFailed !== undefined && options.allowFailed === undefined) options.allowFailed = task.allowFailed;
    if (task.sslOptions !== undefined && options.ssl === undefined) options.ssl = task.sslOptions;
    return {
      ...common,
      kind: 'http',
      action: type === REQUEST ? 'request' : 'download',
      uri: task.uri,
      method: task.method,
      body: task.body,
      formData: task.formData,
      contentType: task.contentType,
      headers: task.headers ?? {},
      options,
      failOnEmptyResponse: task.failOnEmptyResponse ?? true,
    };
  },
  load: async () => (await import('./http-task.ts')).runHttpTask,
};
