import type { Store } from '../contract.ts';
import type { PostgresStoreOptions } from './postgres-store.ts';

/** Whether a store location names a PostgreSQL database rather than a state directory. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Opens the PostgreSQL store at `url`. Its code and node-postgres (kept out of the bundle, see
 * scripts/build.ts) are loaded only now, so a harrier on the embedded store never pays for them.
 */
export async function openPostgresStore(url: string, options?: PostgresStoreOptions): Promise<Store> {
  const { PostgresStore } = await import('./postgres-store.ts');
  return PostgresStore.open(url, options);
}
