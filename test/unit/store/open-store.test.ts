import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hasCode } from '../../../src/shared/errors.ts';
import { openStore, SqliteStore } from '../../../src/store/index.ts';

const stateDir = (): string => mkdtempSync(join(tmpdir(), 'harrier-open-store-'));

test('openStore without a URL is the embedded store under the state dir, located there', async () => {
  const dir = stateDir();
  for (const url of [undefined, '']) {
    const store = await openStore({ stateDir: dir, url });
    assert.ok(store instanceof SqliteStore);
    assert.equal(store.location, dir);
    await store.close();
  }
});

test('a PostgreSQL URL opens the PostgreSQL store: a server that is not there is STORE_UNREACHABLE, one line, no password', async () => {
  for (const url of ['postgresql://harrier:secret@127.0.0.1:1/harrier', 'postgres://harrier:secret@127.0.0.1:1/harrier']) {
    await assert.rejects(openStore({ stateDir: stateDir(), url }), (error: unknown) => {
      assert.ok(hasCode(error, 'STORE_UNREACHABLE'), String(error));
      const text = error.userMessage();
      assert.doesNotMatch(text, /\n/);
      assert.doesNotMatch(text, /secret/);
      assert.match(text, /127\.0\.0\.1:1/);
      return true;
    });
  }
});

test('a URL of any other kind is a one-line user error that names the accepted forms and never shows the password', async () => {
  for (const url of ['mysql://harrier:secret@db/harrier', '/var/lib/harrier', 'sqlite:harrier.db']) {
    await assert.rejects(openStore({ stateDir: stateDir(), url }), (error: unknown) => {
      assert.ok(hasCode(error, 'STORE_URL_INVALID'), String(error));
      const text = error.userMessage();
      assert.doesNotMatch(text, /\n/);
      assert.doesNotMatch(text, /secret/);
      assert.match(text, /postgresql:\/\/USER:PASSWORD@HOST:PORT\/DATABASE/);
      return true;
    });
  }
});
