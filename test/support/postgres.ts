/**
 * A real PostgreSQL server for tests, from Debian's package: `initdb` into a temp directory, the
 * server on a free port of 127.0.0.1 with its unix socket in that directory, stopped and removed
 * by stop(). initdb and the server refuse to run as root, so under root (CI) they run as the
 * package's `postgres` user through setpriv (util-linux; it execs, so pg_ctl's signals reach the
 * server directly). Without the binaries the tests skip with the reason printed, except under
 * CI=true, where they fail.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The role whose logins need a password, for the authentication tests (every other role is trusted). */
export const PASSWORD_ROLE = { user: 'harrier_password', password: 'right-password' };

export interface TestPostgres {
  port: number;
  /** The URL of a database of this server (the `postgres` one by default). */
  url(database?: string, credentials?: { user: string; password?: string }): string;
  /** A new, empty database; its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server, keeping its data, as when a database server goes down; start() brings it back on the same port. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /** Runs SQL as the superuser on the `postgres` database. */
  admin(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

/** The newest installed server's bin directory, or why there is none. */
function serverBinaries(): { dir: string } | { reason: string } {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) return { reason: `no PostgreSQL server binaries under ${root} (install Debian's postgresql package, as .ci/run does)` };
  return { dir: join(root, versions[0], 'bin') };
}

/** How to run the server's programs: as ourselves, or as `postgres` when we are root. */
function runAs(): { prefix: string[]; uid?: number; gid?: number } | { reason: string } {
  if (userInfo().uid !== 0) return { prefix: [] };
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0) return { reason: 'the tests run as root, which initdb refuses, and there is no `postgres` user to run it as (Debian\'s postgresql package creates it)' };
  return {
    prefix: ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'],
    uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()),
  };
}

/** Undefined when a server can be started here, else why not; under CI=true a missing server throws. */
export function postgresUnavailable(): string | undefined {
  const binaries = serverBinaries();
  const user = runAs();
  const reason = 'reason' in binaries ? binaries.reason : 'reason' in user ? user.reason : undefined;
  if (reason === undefined) return undefined;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  console.log(`# SKIPPED (PostgreSQL): ${reason}`);
  return reason;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `durable`: PostgreSQL's own defaults (fsync, full page writes, synchronous commits), for the
 * benchmarks; otherwise durability is traded for speed, which no test checks.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<TestPostgres> {
  const binaries = serverBinaries();
  const user = runAs();
  if ('reason' in binaries) throw new Error(binaries.reason);
  if ('reason' in user) throw new Error(user.reason);
  const dir = mkdtempSync(join(tmpdir(), 'harrier-pg-'));
  const data = join(dir, 'data');
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const tool = async (name: string, args: string[]): Promise<void> => {
    const [command, ...rest] = [...user.prefix, join(binaries.dir, name), ...args];
    try {
      await run(command, rest, { timeout: 120_000 });
    } catch (error) {
      const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
      throw new Error(`${name} failed: ${(stderr || stdout || (error as Error).message).trim()}`);
    }
  };
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    await tool('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--no-instructions', '--encoding=UTF8', '--locale=C']);
    writeFileSync(join(data, 'pg_hba.conf'), [
      'local all all trust',
      `host all ${PASSWORD_ROLE.user} 127.0.0.1/32 scram-sha-256`,
      'host all all 127.0.0.1/32 trust',
      '',
    ].join('\n'));
    if (user.uid !== undefined) chownSync(join(data, 'pg_hba.conf'), user.uid, user.gid!);
    const port = await freePort();
    const fast = options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
    const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${fast} -c max_connections=200`;
    const start = (): Promise<void> => tool('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start']);
    await start();
    const immediateStop = [...user.prefix, join(binaries.dir, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'];
    // A test process killed before stop() (a timeout, ^C) leaves no server behind: a watchdog
    // outside it stops the server and removes the directory once the process is gone.
    const quoted = (words: string[]): string => words.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
    const watchdog = spawn('sh', ['-c', `while [ -d /proc/${process.pid} ]; do sleep 1; done; ${quoted(immediateStop)}; rm -rf ${quoted([dir])}`], {
      detached: true, stdio: 'ignore',
    });
    watchdog.unref();
    const stopSync = (): void => {
      watchdog.kill();
      const [command, ...args] = immediateStop;
      spawnSync(command, args);
      remove();
    };
    // A test process that ends without stop() (a failed assertion in set-up) stops the server on its way out.
    process.once('exit', stopSync);
    const url = (database = 'postgres', credentials: { user: string; password?: string } = { user: 'postgres' }): string => {
      const secret = credentials.password === undefined ? '' : `:${encodeURIComponent(credentials.password)}`;
      return `postgresql://${encodeURIComponent(credentials.user)}${secret}@127.0.0.1:${port}/${database}`;
    };
    const adminPool = new pg.Pool({ connectionString: url(), max: 2 });
    adminPool.on('error', () => undefined);
    await adminPool.query(`CREATE ROLE ${PASSWORD_ROLE.user} LOGIN PASSWORD '${PASSWORD_ROLE.password}'`);
    let databases = 0;
    return {
      port,
      url,
      admin: (sql, values) => adminPool.query(sql, values),
      halt: () => tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
      start,
      async createDatabase() {
        const name = `harrier_test_${++databases}`;
        await adminPool.query(`CREATE DATABASE ${name}`);
        return url(name);
      },
      async stop() {
        process.off('exit', stopSync);
        watchdog.kill();
        await adminPool.end();
        await tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
        remove();
      },
    };
  } catch (error) {
    remove();
    throw error;
  }
}
