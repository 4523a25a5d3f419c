import { UsageError } from '../shared/errors.ts';
import type { Store } from './contract.ts';
import { isPostgresUrl, openPostgresStore } from './postgres/index.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';

export interface StoreOptions {
  /** The state directory: the embedded store's home, and the files' (uploads, outputs, the secret key) with any store. */
  stateDir: string;
  /** `--store URL` (or HARRIER_STORE); without it, the embedded SQLite store under `stateDir`. */
  url?: string;
}

/** The one way to open a store: the URL's scheme picks the implementation. */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.url === undefined || options.url === '') return SqliteStore.open(options.stateDir);
  if (isPostgresUrl(options.url)) return openPostgresStore(options.url);
  throw new UsageError(`--store: '${withoutPassword(options.url)}' is not a store URL harrier accepts`, {
    code: 'STORE_URL_INVALID', hint: 'give postgresql://USER:PASSWORD@HOST:PORT/DATABASE (or postgres://...), or leave --store out for the embedded store under --state-dir',
  });
}

/** A URL as messages may show it: any password replaced. */
export function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
