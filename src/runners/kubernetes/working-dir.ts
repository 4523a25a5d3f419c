import { opendir } from 'node:fs/promises';
import { join } from 'node:path';

/** True when `dir` holds at least one entry that is not a directory (empty folders are not inputs). */
export async function hasInputFiles(dir: string): Promise<boolean> {
  for await (const entry of await opendir(dir)) {
    if (!entry.isDirectory()) return true;
    if (await hasInputFiles(join(dir, entry.name))) return true;
  }
  return false;
}
