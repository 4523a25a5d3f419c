/**
 * Who may talk to the server. Bound to a loopback address it runs without credentials (only this
 * machine reaches it); bound anywhere else it refuses to start without basic auth or bearer tokens.
 * Mutating requests are refused when a browser says they come from another site, and a loopback
 * server answers only to loopback Host names (DNS rebinding).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HarrierError } from '../shared/errors.ts';
import { apiError } from './http.ts';

export interface AuthConfig {
  /** `user:password` for HTTP basic auth. */
  basic?: string;
  /** Bearer tokens, any of which is accepted. */
  tokens: string[];
}

const LOOPBACK_BINDS = new Set(['127.0.0.1', '::1', 'localhost']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function isLoopbackBind(bind: string): boolean {
  return LOOPBACK_BINDS.has(bind) || /^127\.\d+\.\d+\.\d+$/.test(bind);
}

export function hasAuth(auth: AuthConfig): boolean {
  return auth.basic !== undefined || auth.tokens.length > 0;
}

/** Refuses to listen beyond this machine without credentials. */
export function checkBindPolicy(bind: string, auth: AuthConfig): void {
  if (!isLoopbackBind(bind) && !hasAuth(auth)) {
    throw new HarrierError(`refusing to listen on ${bind} without authentication: anyone who reaches it could run commands on this machine`, {
      code: 'SERVER_INSECURE',
      hint: 'set HARRIER_SERVER_BASIC_AUTH=user:password or HARRIER_SERVER_TOKENS=token1,token2 (or --basic-auth / --token), or keep --bind 127.0.0.1',
    });
  }
  if (auth.basic !== undefined && !/^[^:]+:.+$/.test(auth.basic)) {
    throw new HarrierError('basic auth must look like user:password (the password is not shown here)', { code: 'USAGE', hint: 'fix HARRIER_SERVER_BASIC_AUTH or --basic-auth' });
  }
}

/** Compares in constant time, whatever the lengths. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function checkAuth(request: IncomingMessage, auth: AuthConfig): void {
  if (!hasAuth(auth)) return;
  const header = request.headers.authorization ?? '';
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer' && auth.tokens.some((token) => sameSecret(value, token))) return;
  if (scheme?.toLowerCase() === 'basic' && auth.basic !== undefined && sameSecret(Buffer.from(value, 'base64').toString('utf8'), auth.basic)) return;
  throw apiError('UNAUTHORIZED', header ? 'the credentials are not valid' : 'this server needs credentials', 'send Authorization: Bearer TOKEN or basic auth');
}

/**
 * Cross-site checks. Browsers mark a request from another site with `Sec-Fetch-Site` and `Origin`;
 * a form or fetch from a page elsewhere can then never change anything here, whatever its
 * Content-Type (multipart forms are "simple" requests a browser sends without asking). Command-line
 * clients send neither header and pass.
 */
export function checkCrossSite(request: IncomingMessage, loopbackOnly: boolean): void {
  const host = request.headers.host ?? '';
  if (loopbackOnly && !LOOPBACK_HOSTS.has(hostName(host))) {
    throw apiError('CROSS_SITE_REFUSED', `Host '${host}' is not this machine: a loopback server answers only to localhost, 127.0.0.1 or [::1]`);
  }
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw apiError('CROSS_SITE_REFUSED', `a ${request.method} from another site (Sec-Fetch-Site: ${site}) is refused`);
  }
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      throw apiError('CROSS_SITE_REFUSED', `the Origin header '${origin}' is not a URL`);
    }
    if (originHost !== host) throw apiError('CROSS_SITE_REFUSED', `a ${request.method} from origin ${origin} is refused: it is not this server (${host})`);
  } else if (origin === 'null') {
    throw apiError('CROSS_SITE_REFUSED', `a ${request.method} from an opaque origin is refused`);
  }
}

function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.split(':')[0];
}
