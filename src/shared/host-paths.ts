/**
 * The one gate for host paths that come from a flow. A flow is not its user: it may only make
 * Harrier read files under the folders the user handed over (the state directory with its
 * internal storage, and the namespace-files folder). Paths are compared after symlinks are
 * resolved, so a link inside an allowed folder cannot lead out of it.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { HarrierError } from './errors.ts';

function isInside(root: string, path: string): boolean {
  const inside = relative(root, path);
  return inside === '' || (!inside.startsWith('..') && !isAbsolute(inside));
}

/** `path` resolved through its symlinks, or the lexical path when it does not exist (yet). */
async function realOrLexical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

/**
 * The real path of `path` when it lies under one of `roots`, else a HarrierError naming `what`
 * (the property or input that named it) and the allowed folders.
 */
export async function allowedHostPath(path: string, roots: readonly string[], what: string): Promise<string> {
  const real = await realOrLexical(path);
  for (const root of roots) {
    if (isInside(await realOrLexical(root), real)) return real;
  }
  throw new HarrierError(`${what}: '${path}' is outside the folders a flow may read (${roots.join(', ')})`, {
    code: 'HOST_PATH_REFUSED',
    hint: 'a flow reads host files only from internal storage and the namespace files; hand other files over with --input name=@path',
  });
}

/** The folder of one namespace's files under the namespace-files root, never outside it. */
export function namespaceFolder(root: string, namespace: string): string {
  const folder = join(root, namespace);
  if (!isInside(resolve(root), resolve(folder)) || resolve(folder) === resolve(root)) {
    throw new HarrierError(`namespace '${namespace}' does not name a folder inside the namespace files (${root})`, {
      code: 'PATH_UNSAFE',
      hint: 'a namespace is made of lowercase letters, digits, ., _ and -',
    });
  }
  return folder;
}
