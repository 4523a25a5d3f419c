/**
 * The one way a session talks to the API server. Creating and deleting pods go through
 * client-node's typed CoreV1Api; streaming GETs (watch, logs, events) are made here over Node's
 * own http(s), and exec (exec.ts) over a WebSocket, both with the connection options client-node
 * computes (`applyToHTTPSOptions`: CA, client certificate, token, agent). client-node's Log class
 * loses error bodies and hangs on dropped connections, hence the hand-written streaming requests.
 * Every failure is a RunnerError with its KUBE_* code.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { errorFromStatus, toRunnerError, type RequestContext } from './api-errors.ts';
import { serverUrl } from './connection.ts';

const MAX_ERROR_BODY = 64 * 1024;

export class KubeClient {
  readonly kc: KubeConfig;
  readonly server: string;
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.kc = kc;
    this.server = serverUrl(kc);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async createPod(namespace: string, pod: V1Pod): Promise<void> {
    try {
      await this.core.createNamespacedPod({ namespace, body: pod });
    } catch (error) {
      throw toRunnerError(error, { verb: 'create', resource: 'pods', namespace, name: pod.metadata?.name, server: this.server });
    }
  }

  /** Deletes at once (grace period 0): the runner has already decided the pod is done. */
  async deletePod(namespace: string, name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
    } catch (error) {
      throw toRunnerError(error, { verb: 'delete', resource: 'pods', namespace, name, server: this.server });
    }
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
