import { copyFile, mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { HarrierError } from '../shared/errors.ts';
import { allowedHostPath } from '../shared/host-paths.ts';
import type { StoredFile } from './records.ts';

export const STORAGE_SCHEME = 'kestra://';

export interface ExecutionScope {
  namespace: string;
  flowId: string;
  executionId: string;
}

/** Where internal storage lives when no --storage-dir names a folder. */
export function defaultStorageDir(stateDir: string): string {
  return resolve(stateDir, 'storage');
}

/**
 * Internal storage: files that outlive a task's working directory (output files, FILE inputs),
 * kept under one folder (`<state dir>/storage`, or a --storage-dir that servers and workers on
 * several machines share) and named by Kestra-style URIs (`kestra:///ns/flow/executions/...`).
 */
export class InternalStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The folder of an execution's files, relative to the storage root. */
  executionPrefix(scope: ExecutionScope): string {
    return `${scope.namespace.split('.').join('/')}/${scope.flowId}/executions/${scope.executionId}`;
  }

  /**
   * The folders whose files an execution may read and serve: its own first, then those of the
   * executions it was replayed from (ExecutionOptions.replayOf), whose kept outputs and inputs it names.
   */
  readablePrefixes(scope: ExecutionScope, replayedFrom: readonly string[] = []): string[] {
    return [scope.executionId, ...replayedFrom].map((executionId) => this.executionPrefix({ ...scope, executionId }));
  }

  taskFileKey(scope: ExecutionScope, taskId: string, taskRunId: string, name: string): string {
    return `${this.executionPrefix(scope)}/tasks/${taskId}/${taskRunId}/${name}`;
  }

  inputFileKey(scope: ExecutionScope, inputId: string, fileName: string): string {
    return `${this.executionPrefix(scope)}/inputs/${inputId}/${fileName}`;
  }

  /** Moves (or copies, across file systems) `source` into storage under `key`. */
  async put(key: string, source: string, options: { move?: boolean } = {}): Promise<StoredFile> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    if (options.move) {
      try {
        await rename(source, target);
        return { uri: `${STORAGE_SCHEME}/${key}`, path: target };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      }
    }
    await copyFile(source, target);
    return { uri: `${STORAGE_SCHEME}/${key}`, path: target };
  }

  isUri(value: string): boolean {
    return value.startsWith(STORAGE_SCHEME);
  }

  /**
   * The local path of a stored file; a URI that points outside storage (by its key, or through a
   * symlink) or at nothing is an error, as is one outside the `within` prefixes when given
   * (HOST_PATH_REFUSED, checked where the path really leads, so `..` cannot cross between them).
   */
  async resolveUri(uri: string, within?: readonly string[]): Promise<string> {
    if (!this.isUri(uri)) throw new HarrierError(`'${uri}' is not an internal storage URI (expected ${STORAGE_SCHEME}/...)`, { code: 'STORAGE_FILE_NOT_FOUND' });
    const path = this.pathOf(uri.slice(STORAGE_SCHEME.length).replace(/^\/+/, ''));
    if (within) await allowedHostPath(path, within.map((prefix) => this.pathOf(prefix)), `'${uri}'`);
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new Error('not a file');
    } catch {
      throw new HarrierError(`internal storage has no file at ${uri}`, {
        code: 'STORAGE_FILE_NOT_FOUND',
        hint: 'check the URI: it must come from an output or a FILE input of an execution in this --state-dir; servers and workers on several machines need one shared --storage-dir',
      });
    }
    return allowedHostPath(path, [this.root], `'${uri}'`);
  }

  private pathOf(key: string): string {
    const path = resolve(this.root, key);
    const inside = relative(this.root, path);
    if (inside.startsWith('..') || inside.startsWith(sep) || inside === '') {
      throw new HarrierError(`internal storage key '${key}' leaves the storage folder`, { code: 'PATH_UNSAFE' });
    }
    return join(this.root, inside);
  }
}
