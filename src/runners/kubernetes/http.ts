/**
 * Streaming GETs to the API server (watch, logs) over Node's own http(s), with the connection
 * options client-node computes (`applyToHTTPSOptions`: CA, client certificate, token, agent).
 * client-node's Log class loses error bodies and hangs on dropped connections, so the streaming
 * requests are made here.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { errorFromStatus, toRunnerError, type RequestContext } from './api-errors.ts';
import { serverUrl } from './connection.ts';

const MAX_ERROR_BODY = 64 * 1024;

export class KubeHttp {
  readonly kc: KubeConfig;
  readonly server: string;

  constructor(kc: KubeConfig) {
    this.kc = kc;
    this.server = serverUrl(kc);
  }

  /** The server URL joined with an API path (a server URL may carry a path prefix). */
  url(path: string): URL {
    const base = new URL(this.server);
    return new URL(`${base.pathname.replace(/\/+$/, '')}${path}`, base);
  }

  /** Options for a request to `path`, authenticated as the kubeconfig says. */
  async requestOptions(): Promise<https.RequestOptions> {
    const options: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(options);
    return options;
  }

  /**
   * Opens a GET and resolves with the response once a 2xx status arrived; any other status is
   * read (bounded) and thrown as a RunnerError, as are network and TLS failures.
   */
  async get(path: string, ctx: Omit<RequestContext, 'server'>, signal?: AbortSignal): Promise<IncomingMessage> {
    const fullCtx = { ...ctx, server: this.server };
    let options: https.RequestOptions;
    try {
      options = await this.requestOptions();
    } catch (error) {
      throw toRunnerError(error, fullCtx);
    }
    const url = this.url(path);
    const request = url.protocol === 'http:' ? http.request : https.request;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(url, { ...options, method: 'GET', signal, headers: { ...options.headers, Accept: 'application/json, */*' } }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(res);
          return;
        }
        readBody(res, MAX_ERROR_BODY).then(
          (body) => reject(errorFromStatus(status, body, fullCtx)),
          (error: unknown) => reject(toRunnerError(error, fullCtx)),
        );
      });
      req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
      req.on('error', (error) => reject(signal?.aborted ? signal.reason : toRunnerError(error, fullCtx)));
      req.end();
    });
  }
}

/** A response body as text, keeping at most about `maxBytes` of it. */
export function readBody(res: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      if (size < maxBytes) chunks.push(chunk);
      size += chunk.length;
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
