/**
 * Internal storage URIs written in a script's command line (`cat "{{ inputs.file }}"` renders to
 * `cat "kestra:///..."`): as in Kestra, each file is copied into the working directory and the URI
 * replaced by its path there, so the command reads a plain file under any runner.
 */
import { posix } from 'node:path';
import { STORAGE_SCHEME } from '../../store/internal-storage.ts';

/** Kestra's pattern: a URI runs to the next blank or quote. */
const URI = new RegExp(`${STORAGE_SCHEME.replace(/[/]/g, '\\/')}[^\\s"'\`]+`, 'g');

/** Where a stored file goes, relative to the working directory: apart from the task's own files. */
const FOLDER = '.harrier/storage';

export interface StorageCopy {
  uri: string;
  /** Relative to the working directory. */
  name: string;
}

/** The command line with each URI replaced by its copy's path under `workingDir`, and the copies to make. */
export function replaceStorageUris(command: string[], workingDir: string): { command: string[]; copies: StorageCopy[] } {
  const names = new Map<string, string>();
  const replaced = command.map((word) => word.replace(URI, (uri) => {
    let name = names.get(uri);
    if (name === undefined) {
      name = posix.join(FOLDER, String(names.size), posix.basename(uri));
      names.set(uri, name);
    }
    return posix.join(workingDir, name);
  }));
  return { command: replaced, copies: [...names].map(([uri, name]) => ({ uri, name })) };
}
