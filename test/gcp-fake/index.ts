/**
 * A local HTTPS stand-in for the two Google endpoints the GKE flow calls (test infrastructure): the
 * OAuth token endpoint, which checks the JWT assertion against the public key of a service-account
 * key minted here, and GKE's `clusters.get`, which answers only to the token it issued. Its CA is
 * trusted by the client the honest way: the test gives harrier NODE_EXTRA_CA_CERTS=`caFile`.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki } from '../kube-sim/tls.ts';

/** The audience Google's Node library signs into every assertion. */
export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface FakeCluster {
  project: string;
  location: string;
  /** GKE's Cluster resource (REST), as `clusters.get` returns it. */
  resource: Record<string, unknown>;
}

export interface GcpFakeOptions {
  /** The access token the token endpoint hands out (the Kubernetes backend's bearer token, for the e2e flow). */
  accessToken: string;
  clusters: FakeCluster[];
}

export interface AssertionSeen {
  iss: string;
  scope: string;
  aud: string;
}

export interface GcpFake {
  /** https://127.0.0.1:PORT */
  url: string;
  tokenUrl: string;
  /** The fake's CA certificate (PEM) in a file, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** A new service-account JSON key the token endpoint accepts, whose token_uri is `tokenUri` (default: this fake). */
  serviceAccountKey(options?: { tokenUri?: string; project?: string }): string;
  /** From now on the token endpoint refuses this key's assertions, as Google does for a deleted key. */
  revoke(keyJson: string): void;
  /** Each assertion the token endpoint accepted. */
  readonly accepted: AssertionSeen[];
  readonly clusterGets: number;
  stop(): Promise<void>;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify(body));
}

function apiError(response: ServerResponse, code: number, status: string, message: string): void {
  sendJson(response, code, { error: { code, message, status } });
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export async function startGcpFake(options: GcpFakeOptions): Promise<GcpFake> {
  const pki = createPki({ user: 'gcp-fake', groups: [] });
  const dir = mkdtempSync(join(tmpdir(), 'gcp-fake-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.caCert);
  const publicKeys = new Map<string, KeyObject>();
  const accepted: AssertionSeen[] = [];
  let clusterGets = 0;
  let url = '';

  /** Google's own wording for a refused assertion. */
  const refuse = (response: ServerResponse, description: string): void =>
    sendJson(response, 400, { error: 'invalid_grant', error_description: description });

  async function token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(request));
    if (form.get('grant_type') !== JWT_GRANT) {
      sendJson(response, 400, { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${form.get('grant_type')}` });
      return;
    }
    const [header, payload, signature] = (form.get('assertion') ?? '').split('.');
    const head = decodePart(header ?? '');
    const claims = decodePart(payload ?? '');
    if (!head || !claims || signature === undefined || head.alg !== 'RS256') return refuse(response, 'Invalid JWT: malformed assertion.');
    const key = publicKeys.get(String(claims.iss));
    if (!key) return refuse(response, 'Invalid JWT Signature.');
    if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) {
      return refuse(response, 'Invalid JWT Signature.');
    }
    const now = Math.floor(Date.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (!(iat <= now + 60 && exp > now && exp - iat <= 3600)) return refuse(response, 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    const aud = String(claims.aud);
    if (aud !== GOOGLE_TOKEN_AUDIENCE && aud !== `${url}/token`) return refuse(response, 'Invalid JWT: Failed audience check.');
    const scope = Array.isArray(claims.scope) ? claims.scope.join(' ') : String(claims.scope ?? '');
    if (!scope) return refuse(response, 'Invalid OAuth scope or ID token audience provided.');
    accepted.push({ iss: String(claims.iss), scope, aud });
    sendJson(response, 200, { access_token: options.accessToken, expires_in: 3599, token_type: 'Bearer' });
  }

  function cluster(request: IncomingMessage, response: ServerResponse, path: string): void {
    clusterGets++;
    if (request.headers.authorization !== `Bearer ${options.accessToken}`) {
      apiError(response, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
      return;
    }
    const match = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)$/.exec(path);
    const found = match && options.clusters.find((c) => c.project === decodeURIComponent(match[1]) && c.location === decodeURIComponent(match[2])
      && c.resource.name === decodeURIComponent(match[3]));
    if (!found) {
      apiError(response, 404, 'NOT_FOUND', `Not found: ${path.slice('/v1/'.length)}.`);
      return;
    }
    sendJson(response, 200, found.resource);
  }

  const server: Server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (request, response) => {
    const path = new URL(request.url ?? '/', 'https://fake').pathname;
    if (request.method === 'POST' && path === '/token') {
      token(request, response).catch((error: unknown) => sendJson(response, 500, { error: String(error) }));
    } else if (request.method === 'GET' && path.startsWith('/v1/')) {
      cluster(request, response, path);
    } else {
      apiError(response, 404, 'NOT_FOUND', `no route ${request.method} ${path}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tokenUrl: `${url}/token`,
    caFile,
    accepted,
    get clusterGets() {
      return clusterGets;
    },
    serviceAccountKey({ tokenUri = `${url}/token`, project = 'harrier-test' } = {}) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      const id = randomBytes(6).toString('hex');
      const email = `harrier-${id}@${project}.iam.gserviceaccount.com`;
      publicKeys.set(email, createPublicKey(publicKey));
      return JSON.stringify({
        type: 'service_account',
        project_id: project,
        private_key_id: randomBytes(20).toString('hex'),
        private_key: privateKey,
        client_email: email,
        client_id: String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: tokenUri,
      });
    },
    revoke(keyJson) {
      publicKeys.delete(JSON.parse(keyJson).client_email);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
