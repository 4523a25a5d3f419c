/** The store contract (store-contract.ts) against the embedded SQLite store, each test on a new state directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../src/store/index.ts';
import { storeContract } from './store-contract.ts';

storeContract('SQLite', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'harrier-store-contract-'));
  const store = await SqliteStore.open(stateDir);
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
});
