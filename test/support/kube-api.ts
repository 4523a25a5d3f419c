/**
 * One authenticated request to a Kubernetes API server, for test infrastructure (the real cluster's
 * harness and the test backends); the product goes through src/runners/kubernetes instead.
 */
import { request } from 'node:https';

export interface ApiCredentials {
  server: string;
  caCert: string;
  clientCert?: string;
  clientKey?: string;
  token?: string;
}

export type ApiCall = (method: string, path: string, body?: unknown, contentType?: string) => Promise<{ status: number; body: string }>;

export function apiCaller(credentials: ApiCredentials): ApiCall {
  return (method, path, body, contentType = 'application/json') => new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) headers['content-type'] = contentType;
    if (credentials.token) headers.authorization = `Bearer ${credentials.token}`;
    const req = request(`${credentials.server}${path}`, {
      method, ca: credentials.caCert, cert: credentials.clientCert, key: credentials.clientKey, headers,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
