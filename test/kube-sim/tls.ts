/**
 * A throwaway PKI minted with the openssl CLI at start-up: a CA, a server certificate for
 * 127.0.0.1/localhost and a client certificate whose CN/O become the user and group.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export interface ClientIdentity {
  user: string;
  groups: string[];
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`kube-sim: openssl ${args[0]} failed${stderr ? `: ${stderr}` : ''} (is openssl installed? .ci/run installs it)`);
  }
}

function subject(identity: ClientIdentity): string {
  return `/${identity.groups.map((group) => `O=${group}`).join('/')}${identity.groups.length ? '/' : ''}CN=${identity.user}`;
}

/** Issues a client certificate signed by the CA (e.g. for a second user in RBAC tests). */
export function issueClientCert(pki: Pki, identity: ClientIdentity): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-client-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), pki.caCert);
    writeFileSync(join(dir, 'ca.key'), pki.caKey);
    writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-subj', subject(identity), '-out', 'client.csr'], dir);
    openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'client.ext', '-out', 'client.crt'], dir);
    return { cert: readFileSync(join(dir, 'client.crt'), 'utf8'), key: readFileSync(join(dir, 'client.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `extraNames` are further subjectAltName entries of the server certificate (`IP:10.0.0.1`, `DNS:…`). */
export function createPki(client: ClientIdentity, extraNames: string[] = []): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-pki-'));
  try {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-subj', '/CN=kube-sim-ca', '-days', '2', '-sha256',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature', '-out', 'ca.crt'], dir);
    const names = ['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', ...extraNames];
    writeFileSync(join(dir, 'server.ext'), `subjectAltName=${names.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-subj', '/CN=kube-apiserver', '-out', 'server.csr'], dir);
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'server.ext', '-out', 'server.crt'], dir);
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    const pki = { caCert: read('ca.crt'), caKey: read('ca.key'), serverCert: read('server.crt'), serverKey: read('server.key'), clientCert: '', clientKey: '' };
    const issued = issueClientCert(pki, client);
    return { ...pki, clientCert: issued.cert, clientKey: issued.key };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CN and O of a peer certificate's subject, as the x509 authenticator reads them. */
export function identityFromSubject(subjectFields: Record<string, string | string[]> | undefined): ClientIdentity | undefined {
  const cn = subjectFields?.CN;
  if (!cn) return undefined;
  const user = Array.isArray(cn) ? cn[0] : cn;
  const o = subjectFields?.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { user, groups };
}
