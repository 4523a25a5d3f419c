/**
 * What a failed PostgreSQL call means for the user: a server that cannot be reached, a refused
 * password, a database that does not exist, a full disk, a schema the user may not change. Each
 * becomes one StoreError with a stable code, the server's address (never the password) and what
 * to do; anything else keeps PostgreSQL's own words.
 */
import { parse, type ConnectionOptions } from 'pg-connection-string';
import { StoreError } from '../../shared/errors.ts';

/** Where the store is, for messages: parsed once from its URL. */
export interface ServerAddress {
  /** host:port, or the socket directory. */
  server: string;
  user: string;
  database: string;
  /** The URL without its password. */
  location: string;
}

const SECRET_PARAMETERS = ['password', 'sslpassword', 'sslkey'];
const FILE_PARAMETERS = ['sslcert', 'sslkey', 'sslrootcert', 'sslcrl'];

/**
 * Read with pg-connection-string, the parser node-postgres itself connects with, so that every form it
 * accepts (a Unix socket's `postgresql://USER@/DB?host=/run/postgresql`, `postgresql:///DB?host=...`,
 * an encoded socket host) names the server it will reach.
 */
export function serverAddress(url: string): ServerAddress {
  let config: ConnectionOptions;
  try {
    // Without the parameters that name files, which the parser would read: a missing one is the connection's to report.
    config = parse(withoutParameters(url, FILE_PARAMETERS));
  } catch {
    throw new StoreError('the store URL is not a valid URL', {
      hint: 'write it as postgresql://USER:PASSWORD@HOST:PORT/DATABASE',
    });
  }
  const host = config.host || 'localhost';
  const port = config.port || '5432';
  const user = config.user || process.env.PGUSER || process.env.USER || 'postgres';
  const database = config.database || user;
  return { server: host.startsWith('/') ? `${host} (port ${port})` : `${host}:${port}`, user, database, location: withoutSecrets(url) };
}

/** The URL as given, less its password and the query parameters that hold secrets. */
function withoutSecrets(url: string): string {
  return withoutParameters(url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@?]*):[^@/?]*@/i, '$1@'), SECRET_PARAMETERS);
}

function withoutParameters(url: string, names: readonly string[]): string {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return url;
  const query = new URLSearchParams(url.slice(queryAt + 1));
  for (const name of names) query.delete(name);
  const kept = query.toString();
  return kept === '' ? url.slice(0, queryAt) : `${url.slice(0, queryAt)}?${kept}`;
}

/** Node's codes for a connection that could not be made, or was cut. */
const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'the host name could not be resolved',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ENOENT: 'no socket there',
};

/** node-postgres's own words for a connection it lost or could not finish (it gives them no code). */
const LOST_CONNECTION = /^Connection terminated|^timeout exceeded when trying to connect|^Client has encountered a connection error|^Client was closed/;

/** node-postgres's words when the server asks for a password that the URL does not give. */
const CLIENT_PASSWORD_MISSING = /client password must be a string|password authentication requires a password/i;
const SSL_REFUSED = /server does not support SSL connections/;

interface DatabaseError {
  code: string;
  message: string;
}

function isDatabaseError(error: unknown): error is DatabaseError {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

function networkReason(error: unknown): string | undefined {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  // A file the URL names (sslrootcert, sslkey) that is missing is not a network failure.
  if (syscall === 'open') return undefined;
  if (typeof code === 'string' && NETWORK_CODES[code]) return NETWORK_CODES[code];
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const reason = networkReason(inner);
      if (reason) return reason;
    }
  }
  if (error instanceof Error && LOST_CONNECTION.test(error.message)) return error.message.replace(/\.$/, '').toLowerCase();
  return undefined;
}

export function unreachableError(address: ServerAddress, reason: string, cause?: unknown): StoreError {
  return new StoreError(`cannot reach the PostgreSQL server of the store at ${address.server} (${reason})`, {
    code: 'STORE_UNREACHABLE', cause, hint: 'check that PostgreSQL runs there and accepts connections from this machine, or fix the store URL',
  });
}

/** A StoreError for a failed PostgreSQL call; StoreErrors and errors that are not PostgreSQL's or the network's pass unchanged. */
export function postgresFailure(error: unknown, address: ServerAddress): unknown {
  if (error instanceof StoreError) return error;
  const network = networkReason(error);
  if (network) return unreachableError(address, network, error);
  const file = error as NodeJS.ErrnoException;
  if (file instanceof Error && file.syscall === 'open' && file.path) {
    return new StoreError(`cannot read ${file.path}, which the store URL names (${file.code})`, {
      code: 'STORE_FAILED', cause: error, hint: 'fix the path in the store URL (sslrootcert, sslcert, sslkey)',
    });
  }
  if (error instanceof Error && CLIENT_PASSWORD_MISSING.test(error.message)) {
    return new StoreError(`the PostgreSQL server at ${address.server} asks user '${address.user}' for a password, and the store URL has none`, {
      code: 'STORE_AUTH_FAILED', cause: error, hint: 'write it in the URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE), or set PGPASSWORD',
    });
  }
  if (error instanceof Error && SSL_REFUSED.test(error.message)) {
    return new StoreError(`the PostgreSQL server at ${address.server} does not accept SSL connections, which the store URL asks for`, {
      code: 'STORE_FAILED', cause: error, hint: 'remove sslmode from the store URL, or turn SSL on in the server',
    });
  }
  if (!isDatabaseError(error)) return error;
  const { code, message } = error;
  if (code === '28P01' || code === '28000') {
    return new StoreError(`the PostgreSQL server at ${address.server} refused user '${address.user}' (${message})`, {
      code: 'STORE_AUTH_FAILED', cause: error, hint: 'check the user and password in the store URL, and the server\'s pg_hba.conf',
    });
  }
  if (code === '3D000') {
    return new StoreError(`the database '${address.database}' does not exist on the PostgreSQL server at ${address.server}`, {
      code: 'STORE_DATABASE_MISSING', cause: error,
      hint: `create it with \`createdb -h ${address.server.split(':')[0]} -U ${address.user} ${address.database}\` (or CREATE DATABASE), or fix the store URL`,
    });
  }
  // Class 08 (connection exception) and 57P01-57P03 (server shutting down or starting up).
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return unreachableError(address, message, error);
  if (code === '53100') {
    return new StoreError(`the PostgreSQL server at ${address.server} has no space left on its disk (${message})`, {
      code: 'STORE_DISK_FULL', cause: error, hint: 'free some space on the database server',
    });
  }
  if (code === '42501') {
    return new StoreError(`user '${address.user}' may not change the store's tables in database '${address.database}' at ${address.server} (${message})`, {
      code: 'STORE_UNWRITABLE', cause: error,
      hint: `make '${address.user}' the database's owner, or GRANT CREATE ON SCHEMA public TO ${address.user}`,
    });
  }
  return new StoreError(`the PostgreSQL store ${address.location} failed: ${message}`, { code: 'STORE_FAILED', cause: error });
}

/** Whether the connection that gave this error can no longer be used. */
export function isConnectionLost(error: unknown): boolean {
  return networkReason(error) !== undefined || (error instanceof StoreError && error.code === 'STORE_UNREACHABLE');
}
