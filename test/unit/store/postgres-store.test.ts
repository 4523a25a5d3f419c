/**
 * The PostgreSQL store on a real server (Debian's package, started by test/support/postgres.ts):
 * the store contract, then what only PostgreSQL has: migrations, several pools and processes on
 * one database, connection failures, LISTEN/NOTIFY across pools, fencing against a take-over.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { hasCode, type ErrorCode, type HarrierError } from '../../../src/shared/errors.ts';
import { serverAddress } from '../../../src/store/postgres/failures.ts';
import { migrate, MIGRATIONS, SCHEMA_VERSION, type Migration } from '../../../src/store/postgres/migrations.ts';
import { isPostgresUrl, openPostgresStore } from '../../../src/store/postgres/index.ts';
import { PostgresStore } from '../../../src/store/postgres/postgres-store.ts';
import { PASSWORD_ROLE, postgresUnavailable, startPostgres, type TestPostgres } from '../../support/postgres.ts';
import { execution, storeContract } from './store-contract.ts';

const unavailable = postgresUnavailable();
let server: TestPostgres;

if (unavailable === undefined) {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  storeContract('PostgreSQL', async () => {
    const store = await openPostgresStore(await server.createDatabase());
    return { store, close: () => store.close() };
  });
} else {
  test('store contract: PostgreSQL', { skip: unavailable }, () => {});
}

const run = promisify(execFile);
const A = { worker: 'a', pid: 1 };
const B = { worker: 'b', pid: 2 };

async function failure(promise: Promise<unknown>, code: ErrorCode): Promise<HarrierError> {
  let caught: unknown;
  await promise.then(() => assert.fail(`expected ${code}`), (error: unknown) => { caught = error; });
  assert.ok(hasCode(caught, code), `expected ${code}, got ${(caught as Error)?.stack ?? String(caught)}`);
  return caught as HarrierError;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
    await sleep(20);
  }
}

/** The server processes of the connections listening on the queue channel. */
async function listeningBackends(): Promise<number[]> {
  return (await server.admin("SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN harrier_queue'")).rows.map((row) => row.pid as number);
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

test('a store location is a PostgreSQL URL by its scheme; anything else is a state directory', () => {
  assert.deepEqual(['postgresql://h/db', 'postgres://u@h/db', 'POSTGRESQL://h', './state', '/var/lib/harrier', 'postgresql:db'].map(isPostgresUrl),
    [true, true, true, false, false, false]);
});

describe('PostgreSQL only', { skip: unavailable, timeout: 60_000 }, () => {
  test('an empty database is migrated to the newest version; opening again changes nothing and keeps the data', async () => {
    const url = await server.createDatabase();
    const first = await PostgresStore.open(url);
    await first.insertExecution(execution('kept'));
    await first.close();
    const again = await PostgresStore.open(url);
    assert.equal((await again.getExecution('kept'))?.id, 'kept');
    await again.close();
    await withClient(url, async (client) => {
      const { rows } = await client.query("SELECT value FROM harrier_meta WHERE key = 'schema_version'");
      assert.deepEqual(rows, [{ value: String(SCHEMA_VERSION) }]);
      const tables = await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
      assert.deepEqual(tables.rows.map((row) => row.tablename), [
        'attempts', 'execution_leases', 'execution_owners', 'executions', 'flow_revisions', 'flows', 'harrier_meta', 'log_sequences', 'logs', 'metrics', 'task_runs',
      ]);
    });
  });

  test('a version 1 database is upgraded to the newest version at open, and a stale holder\'s write is refused by its new harrier_fence', async () => {
    const url = await server.createDatabase();
    await withClient(url, (client) => migrate(client, serverAddress(url), MIGRATIONS.slice(0, 1)));
    const store = await PostgresStore.open(url);
    try {
      await store.insertExecution(execution('e'), { queued: true });
      const stale = (await store.takeNextLease(A, 1000, 0))!;
      await store.takeNextLease(B, 1000, 5000);
      await failure(store.fenced(stale, () => store.setExecutionState('e', 'FAILED')), 'LEASE_LOST');
      assert.equal((await store.getExecution('e'))!.state, 'CREATED');
    } finally {
      await store.close();
    }
    await withClient(url, async (client) => {
      assert.deepEqual((await client.query("SELECT value FROM harrier_meta WHERE key = 'schema_version'")).rows, [{ value: String(SCHEMA_VERSION) }]);
    });
  });

  test('a column a newer harrier adds while this one runs (a rolling upgrade) does not break the statements this one prepared', async () => {
    const url = await server.createDatabase();
    const store = await PostgresStore.open(url, { poolSize: 1 });
    try {
      await store.insertExecution(execution('before'));
      assert.equal((await store.getExecution('before'))?.id, 'before', 'SELECT * FROM executions prepared on the one connection');
      await withClient(url, (client) => client.query('ALTER TABLE executions ADD COLUMN added_by_a_newer_harrier TEXT'));
      assert.equal((await store.getExecution('before'))?.id, 'before');
      assert.deepEqual((await store.listExecutions()).map((found) => found.id), ['before']);
    } finally {
      await store.close();
    }
  });

  test('several pools opening one new database at once migrate it once', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(url)));
    await Promise.all(stores.map((store) => store.close()));
    // A later step with a visible effect: it must run once however many harriers start together.
    const counted: Migration[] = [...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, description: 'test step', sql: 'CREATE TABLE step_runs (n INT); INSERT INTO step_runs VALUES (1)' }];
    const clients = await Promise.all(Array.from({ length: 4 }, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    }));
    const found = await Promise.all(clients.map((client) => migrate(client, serverAddress(url), counted)));
    await Promise.all(clients.map((client) => client.end()));
    assert.deepEqual(found.toSorted(), [SCHEMA_VERSION, SCHEMA_VERSION + 1, SCHEMA_VERSION + 1, SCHEMA_VERSION + 1], 'one migrated, the others found it done');
    await withClient(url, async (client) => {
      assert.deepEqual((await client.query('SELECT n FROM step_runs')).rows, [{ n: 1 }]);
    });
  });

  test('several processes opening one new database at once all open it, migrated once', async () => {
    const url = await server.createDatabase();
    const opener = `const { openPostgresStore } = await import(${JSON.stringify(new URL('../../../src/store/postgres/index.ts', import.meta.url).href)});
      const store = await openPostgresStore(process.argv[1]); console.log(store.location); await store.close();`;
    const results = await Promise.all(Array.from({ length: 3 }, () => run(process.execPath, ['--input-type=module', '-e', opener, url])));
    assert.deepEqual(results.map((result) => result.stdout.trim()), [url, url, url]);
    await withClient(url, async (client) => {
      assert.deepEqual((await client.query('SELECT key, value FROM harrier_meta')).rows, [{ key: 'schema_version', value: String(SCHEMA_VERSION) }]);
    });
  });

  test('a database migrated by a newer harrier is refused with one line saying what to do', async () => {
    const url = await server.createDatabase();
    await (await PostgresStore.open(url)).close();
    await withClient(url, (client) => client.query("UPDATE harrier_meta SET value = $1 WHERE key = 'schema_version'", [String(SCHEMA_VERSION + 1)]));
    const error = await failure(PostgresStore.open(url), 'STORE_VERSION');
    assert.equal(error.userMessage(), `the PostgreSQL store ${url} has schema version ${SCHEMA_VERSION + 1}, this harrier knows versions up to ${SCHEMA_VERSION} `
      + '(upgrade harrier to the version that migrated it, or use another database)');
  });

  test('a database holding another application\'s tables is refused and left as it was', async () => {
    const url = await server.createDatabase();
    await withClient(url, (client) => client.query('CREATE TABLE executions (x INT)'));
    const error = await failure(PostgresStore.open(url), 'STORE_NOT_A_STORE');
    assert.match(error.message, /already has tables that are not Harrier's/);
    await withClient(url, async (client) => {
      assert.equal((await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'harrier_meta'")).rows[0].n, 0, 'the migration rolled back');
    });
  });

  test('connection failures: an unreachable server, a wrong password, a missing database; the password is never shown', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = new Server();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const unreachable = await failure(PostgresStore.open(`postgresql://harrier:sekret@127.0.0.1:${closed}/harrier`), 'STORE_UNREACHABLE');
    assert.equal(unreachable.userMessage(), `cannot reach the PostgreSQL server of the store at 127.0.0.1:${closed} (connection refused) `
      + '(check that PostgreSQL runs there and accepts connections from this machine, or fix the store URL)');

    const wrong = server.url('postgres', { user: PASSWORD_ROLE.user, password: 'sekret' });
    const refused = await failure(PostgresStore.open(wrong), 'STORE_AUTH_FAILED');
    assert.match(refused.message, new RegExp(`^the PostgreSQL server at 127.0.0.1:${server.port} refused user '${PASSWORD_ROLE.user}' \\(password authentication failed`));

    const missing = await failure(PostgresStore.open(server.url('no_such_db', { user: 'postgres', password: 'sekret' })), 'STORE_DATABASE_MISSING');
    assert.equal(missing.userMessage(), `the database 'no_such_db' does not exist on the PostgreSQL server at 127.0.0.1:${server.port} `
      + '(create it with `createdb -h 127.0.0.1 -U postgres no_such_db` (or CREATE DATABASE), or fix the store URL)');

    const noPassword = await failure(PostgresStore.open(server.url('postgres', { user: PASSWORD_ROLE.user })), 'STORE_AUTH_FAILED');
    assert.equal(noPassword.message, `the PostgreSQL server at 127.0.0.1:${server.port} asks user '${PASSWORD_ROLE.user}' for a password, and the store URL has none`);

    const noSsl = await failure(PostgresStore.open(`${server.url('postgres', { user: 'postgres', password: 'sekret' })}?sslmode=verify-full`), 'STORE_FAILED');
    assert.match(noSsl.userMessage(), /does not accept SSL connections, which the store URL asks for \(remove sslmode/);

    const noFile = await failure(PostgresStore.open(`${server.url()}?sslmode=verify-full&sslrootcert=/nonexistent/root.crt`), 'STORE_FAILED');
    assert.equal(noFile.userMessage(), 'cannot read /nonexistent/root.crt, which the store URL names (ENOENT) (fix the path in the store URL (sslrootcert, sslcert, sslkey))');

    const malformed = await failure(PostgresStore.open('postgresql://u:sekret@h:99999/x'), 'STORE_FAILED');
    assert.equal(malformed.userMessage(), 'the store URL is not a valid URL (write it as postgresql://USER:PASSWORD@HOST:PORT/DATABASE)');

    for (const error of [unreachable, refused, missing, noPassword, noSsl, malformed]) assert.doesNotMatch(error.userMessage(), /sekret/);
  });

  test('the right password opens; location is the URL without it', async () => {
    await server.admin(`GRANT CREATE ON SCHEMA public TO ${PASSWORD_ROLE.user}`);
    await server.admin(`CREATE DATABASE harrier_password_db OWNER ${PASSWORD_ROLE.user}`);
    const store = await PostgresStore.open(server.url('harrier_password_db', PASSWORD_ROLE));
    assert.equal(store.location, `postgresql://${PASSWORD_ROLE.user}@127.0.0.1:${server.port}/harrier_password_db`);
    await store.close();
  });

  test('a Unix socket URL opens, in each form node-postgres reads; its messages name the socket folder, never the password', async () => {
    const socketDir = (await server.admin('SHOW unix_socket_directories')).rows[0].unix_socket_directories as string;
    const url = new URL(await server.createDatabase());
    const database = url.pathname.slice(1);
    const host = encodeURIComponent(socketDir);
    for (const socketUrl of [
      `postgresql://postgres:sekret@/${database}?host=${host}&port=${server.port}`,
      `postgresql:///${database}?host=${host}&port=${server.port}&user=postgres`,
      `postgresql://${host}:${server.port}/${database}?user=postgres`,
    ]) {
      const store = await PostgresStore.open(socketUrl);
      try {
        await store.insertExecution(execution(`via-${socketUrl.length}`));
        assert.equal((await store.getExecution(`via-${socketUrl.length}`))?.id, `via-${socketUrl.length}`);
        assert.doesNotMatch(store.location, /sekret/);
      } finally {
        await store.close();
      }
    }
    const gone = await failure(PostgresStore.open(`postgresql://postgres:sekret@/${database}?host=%2Fnonexistent%2Fsockets`), 'STORE_UNREACHABLE');
    assert.match(gone.message, /^cannot reach the PostgreSQL server of the store at \/nonexistent\/sockets \(port 5432\)/);
    assert.doesNotMatch(gone.userMessage(), /sekret/);
  });

  test('a connection lost inside a transaction fails it with STORE_UNREACHABLE; the next call works on a new connection', async () => {
    const store = await PostgresStore.open(await server.createDatabase());
    try {
      await store.insertExecution(execution('e'));
      const error = await failure(store.transaction(async () => {
        await store.setExecutionOutputs('e', { lost: true });
        await server.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'harrier' AND state = 'idle in transaction'");
        await store.getExecution('e');
      }), 'STORE_UNREACHABLE');
      assert.match(error.message, new RegExp(`at 127.0.0.1:${server.port} `));
      assert.equal((await store.getExecution('e'))!.outputs, undefined);
    } finally {
      await store.close();
    }
  });

  test('a server that goes down: calls fail with STORE_UNREACHABLE; once it is back the same store works and its watcher wakes again', async () => {
    const url = await server.createDatabase();
    const store = await PostgresStore.open(url, { connectTimeoutMs: 2_000 });
    try {
      await store.insertExecution(execution('e'));
      let wakes = 0;
      await store.watchQueue(() => { wakes++; });
      await server.halt();
      const down = await failure(store.getExecution('e'), 'STORE_UNREACHABLE');
      assert.match(down.message, new RegExp(`^cannot reach the PostgreSQL server of the store at 127.0.0.1:${server.port} \\(`));
      await failure(store.transaction(() => store.queueExecution('e')), 'STORE_UNREACHABLE');
      await server.start();
      assert.equal((await store.getExecution('e'))?.id, 'e');
      await until(async () => (await listeningBackends()).length === 1, 'the listener connected again');
      await sleep(100);
      const before = wakes;
      await store.queueExecution('e');
      await until(() => wakes > before, 'the watcher woke after the server came back');
    } finally {
      await store.close();
    }
  });

  test('slots on several pools take at once: every execution is taken exactly once (SKIP LOCKED)', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all(Array.from({ length: 3 }, () => PostgresStore.open(url, { poolSize: 4 })));
    try {
      const count = 40;
      for (let i = 0; i < count; i++) {
        await stores[0].insertExecution(execution(`e${String(i).padStart(2, '0')}`, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()));
        await stores[0].queueExecution(`e${String(i).padStart(2, '0')}`);
      }
      const taken: string[] = [];
      await Promise.all(stores.flatMap((store, s) => Array.from({ length: 4 }, async (_, slot) => {
        for (;;) {
          const lease = await store.takeNextLease({ worker: `w${s}`, pid: slot }, 60_000);
          if (!lease) return;
          taken.push(lease.executionId);
        }
      })));
      assert.equal(taken.length, count, 'nothing taken twice');
      assert.equal(new Set(taken).size, count, 'everything taken');
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  test('leases expire on the database\'s clock: a machine whose clock is ahead or behind takes over neither early nor late', async () => {
    const url = await server.createDatabase();
    const [a, b] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    const realNow = Date.now;
    /** This process stands for a machine whose clock is off by `offsetMs` while `work` runs. */
    const skewed = async <T>(offsetMs: number, work: () => Promise<T>): Promise<T> => {
      Date.now = () => realNow() + offsetMs;
      try {
        return await work();
      } finally {
        Date.now = realNow;
      }
    };
    try {
      await a.insertExecution(execution('e'), { queued: true });
      const held = (await a.takeNextLease(A, 10_000))!;
      assert.equal(held.executionId, 'e');
      assert.equal(await skewed(60_000, () => b.takeNextLease(B, 10_000)), undefined, 'a clock a minute ahead sees the lease held');
      assert.ok(await skewed(-60_000, () => a.renewLease('e', held.epoch, 300)), 'a clock a minute behind renews');
      await sleep(500);
      const taken = await skewed(-60_000, () => b.takeNextLease(B, 10_000));
      assert.equal(taken?.epoch, held.epoch + 1, 'a clock a minute behind takes the expired lease over');
      assert.ok(Math.abs(taken!.expiresAt - (realNow() + 10_000)) < 5_000, `the expiry ${taken!.expiresAt} is on the database's clock`);
    } finally {
      Date.now = realNow;
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('a queue in one pool wakes a watcher of another; the watcher comes back after its connection is cut', async () => {
    const url = await server.createDatabase();
    const [queuer, watcher] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    try {
      await queuer.insertExecution(execution('e'));
      let wakes = 0;
      const unsubscribe = await watcher.watchQueue(() => { wakes++; });
      await queuer.queueExecution('e');
      await until(() => wakes === 1, 'the other pool\'s watcher woke');
      await queuer.transaction(async () => {
        await queuer.queueExecution('e');
        await sleep(200);
        assert.equal(wakes, 1, 'not before the commit');
      });
      await until(() => wakes === 2, 'woken at the commit');

      const [cut] = await listeningBackends();
      await server.admin('SELECT pg_terminate_backend($1)', [cut]);
      await until(async () => (await listeningBackends()).some((pid) => pid !== cut), 'the listener connected again');
      // The listener also wakes its watchers once it is back, for what it may have missed.
      await sleep(100);
      const beforeQueue = wakes;
      await queuer.queueExecution('e');
      await until(() => wakes > beforeQueue, 'woken after the reconnect');
      await unsubscribe();
      await until(async () => (await listeningBackends()).length === 0, 'the last unsubscribe closes the listening connection');
    } finally {
      await Promise.all([queuer.close(), watcher.close()]);
    }
  });

  test('a stale worker\'s write is refused after a take-over, and a take-over waits for a fenced write in progress', async () => {
    const url = await server.createDatabase();
    const [slow, fast] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    try {
      await slow.insertExecution(execution('e'));
      await slow.queueExecution('e');
      const old = (await slow.takeNextLease(A, 1000, 0))!;

      // The old holder writes under its fence while its lease expires: a taker passes the row over
      // until that write commits, so the write can never land after a newer epoch.
      let release!: () => void;
      const held = new Promise<void>((resolve) => { release = resolve; });
      const write = slow.fenced(old, () => slow.transaction(async () => {
        await held;
        await slow.setExecutionOutputs('e', { by: 'old holder' });
      }));
      try {
        await sleep(100);
        assert.equal(await fast.takeNextLease(B, 1000, 5000), undefined, 'skipped while the fenced write runs');
      } finally {
        release();
        await write;
      }
      const taken = (await fast.takeNextLease(B, 1000, 5000))!;
      assert.equal(taken.epoch, old.epoch + 1);

      const error = await failure(slow.fenced(old, () => slow.setExecutionOutputs('e', { by: 'stale holder' })), 'LEASE_LOST');
      assert.equal(error.message, 'write refused for execution e: this worker holds lease epoch 1, the store has 2');
      assert.deepEqual((await fast.getExecution('e'))!.outputs, { by: 'old holder' });
    } finally {
      await Promise.all([slow.close(), fast.close()]);
    }
  });

  test('a reader outside a transaction does not wait for it and sees the data as committed before it', async () => {
    const store = await PostgresStore.open(await server.createDatabase());
    try {
      await store.insertExecution(execution('e'));
      let release!: () => void;
      const held = new Promise<void>((resolve) => { release = resolve; });
      let inside!: () => void;
      const written = new Promise<void>((resolve) => { inside = resolve; });
      const transaction = store.transaction(async () => {
        await store.setExecutionState('e', 'RUNNING');
        inside();
        await held;
      });
      await written;
      assert.equal((await store.getExecution('e'))!.state, 'CREATED');
      release();
      await transaction;
      assert.equal((await store.getExecution('e'))!.state, 'RUNNING');
    } finally {
      await store.close();
    }
  });

  test('a line holding NUL, which PostgreSQL text cannot, is stored with U+FFFD in its place', async () => {
    const store = await PostgresStore.open(await server.createDatabase());
    try {
      await store.insertExecution(execution('e'));
      await store.insertLogs([{ executionId: 'e', level: 'INFO', timestamp: '2026-01-01T00:00:00.000Z', line: 'a\0b' }]);
      assert.equal((await store.logs('e'))[0].line, 'a\uFFFDb');
    } finally {
      await store.close();
    }
  });
});
