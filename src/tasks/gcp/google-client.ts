/**
 * Google Cloud credentials through Google's own auth library: a `serviceAccount` JSON key, else the
 * key file GOOGLE_APPLICATION_CREDENTIALS names, else application default credentials (gcloud's
 * file, the metadata server). Errors become one coded line.
 */
import { readFile } from 'node:fs/promises';
import { GoogleAuth, type AuthClient } from 'google-auth-library';
import { HarrierError } from '../../shared/errors.ts';

/** Where the library sends every service-account token request, whatever the key's token_uri says. */
const LIBRARY_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface GoogleCredentials {
  client: AuthClient;
  /** The project the credentials belong to, if known. */
  projectId?: string;
}

interface KeyJson {
  type?: string;
  project_id?: string;
  token_uri?: string;
  [key: string]: unknown;
}

export async function googleCredentials(serviceAccount: string | undefined, scopes: string[], where: string): Promise<GoogleCredentials> {
  const key = serviceAccount !== undefined
    ? parseKey(serviceAccount, `${where}, property 'serviceAccount'`)
    : await keyFromEnvironment();
  const auth = new GoogleAuth({ scopes, ...(key ? { credentials: key } : {}) });
  let client: AuthClient;
  try {
    client = await auth.getClient() as AuthClient;
  } catch (error) {
    throw new HarrierError(`${where}: no Google Cloud credentials found (${(error as Error).message.split('\n')[0]})`, {
      code: 'GCP_CREDENTIALS_MISSING', cause: error,
      hint: 'give serviceAccount (a JSON key, e.g. from secret()), set GOOGLE_APPLICATION_CREDENTIALS, or run `gcloud auth application-default login`',
    });
  }
  if (key?.token_uri) honourTokenUri(client, key.token_uri);
  return { client, projectId: key?.project_id ?? await auth.getProjectId().catch(() => undefined) };
}

function parseKey(text: string, where: string): KeyJson {
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    key = undefined;
  }
  if (!key || typeof key !== 'object' || Array.isArray(key) || typeof (key as KeyJson).type !== 'string') {
    throw new HarrierError(`${where}: not a Google Cloud JSON key (expected a JSON map with "type", like a service-account key file)`, {
      code: 'GCP_CREDENTIALS_INVALID', hint: 'pass the whole key file, e.g. serviceAccount: "{{ secret(\'GCP_SERVICE_ACCOUNT_JSON\') }}"',
    });
  }
  return key as KeyJson;
}

/** The key GOOGLE_APPLICATION_CREDENTIALS names, read here so that its token_uri is known too. */
async function keyFromEnvironment(): Promise<KeyJson | undefined> {
  const path = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  if (!path) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new HarrierError(`GOOGLE_APPLICATION_CREDENTIALS names '${path}', which cannot be read (${(error as NodeJS.ErrnoException).code})`, {
      code: 'GCP_CREDENTIALS_INVALID', cause: error, hint: 'point it at a service-account JSON key file',
    });
  }
  return parseKey(text, `GOOGLE_APPLICATION_CREDENTIALS file '${path}'`);
}

/**
 * Google's Java library sends the token request to the key's `token_uri`, as Kestra does; the Node
 * library always uses Google's URL. A request interceptor on the client's own transport makes it
 * follow the key.
 */
function honourTokenUri(client: AuthClient, tokenUri: string): void {
  if (tokenUri === LIBRARY_TOKEN_URL) return;
  client.transporter.interceptors.request.add({
    resolved: async (options) => {
      if (String(options.url) === LIBRARY_TOKEN_URL) options.url = new URL(tokenUri);
      return options;
    },
  });
}

/** A failure of the token endpoint or of an API, as one coded line. */
export function googleError(error: unknown, what: string): unknown {
  if (error instanceof HarrierError || (error as { name?: string }).name === 'AbortError') return error;
  const failure = error as { status?: number; code?: string | number; message?: string; config?: { url?: unknown }; cause?: { code?: string } };
  const url = String(failure.config?.url ?? '');
  const message = (failure.message ?? String(error)).split('\n')[0];
  const answered = failure.status !== undefined || /invalid_grant|invalid_client|unauthorized_client/.test(message);
  if (answered && url.endsWith('/token')) {
    return new HarrierError(`${what}: Google's token endpoint refused the credentials: ${message}`, {
      code: 'GCP_AUTH_FAILED', cause: error, hint: 'check the service-account key and that it is not disabled or deleted',
    });
  }
  if (answered) {
    return new HarrierError(`${what}: ${url} answered ${failure.status}: ${message}`, {
      code: 'GCP_API_ERROR', status: failure.status, cause: error,
      hint: failure.status === 403 ? 'grant the service account the role it needs (e.g. roles/container.viewer)' : 'check the project, location and name',
    });
  }
  const code = String(failure.cause?.code ?? failure.code ?? '');
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code) || /certificate/i.test(message)) {
    return new HarrierError(`${what}: the certificate of ${new URL(url).host} is not trusted (${code || message})`, {
      code: 'HTTP_TLS_UNTRUSTED', cause: error, hint: 'add its CA to NODE_EXTRA_CA_CERTS for harrier',
    });
  }
  return new HarrierError(`${what}: cannot reach Google Cloud: ${message}${code ? ` (${code})` : ''}`, {
    code: 'HTTP_UNREACHABLE', cause: error, hint: 'check the network and any proxy settings',
  });
}
