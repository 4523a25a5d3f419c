/**
 * Output entries that are never kept, the same under every runner: a name that leads outside the
 * working directory (an absolute path, or `..` once `\` is read as `/`, as Windows and internal
 * storage URIs would read it), a symbolic link pointing outside the working directory, a hard link
 * to a file that is not itself collected. Each one is left out with a warning that names it, and
 * every other output is kept: one odd entry must not cost the task its other files, nor fail a
 * task that exited 0. Links are never followed, and a file is never stored as an inode it shares
 * with a file outside.
 */
import { isAbsolute, posix, relative, resolve } from 'node:path';

export type SkipReason =
  | { kind: 'name-leaves' }
  | { kind: 'symlink-outside'; target: string }
  | { kind: 'hardlink-uncollected'; target: string };

export interface SkippedOutput {
  /** The entry's name relative to the working directory, as the task wrote it. */
  name: string;
  reason: SkipReason;
}

export function skippedOutputNotice({ name, reason }: SkippedOutput): string {
  switch (reason.kind) {
    case 'name-leaves':
      return `output file '${name}' is not kept: its name leads outside the working directory (an absolute path, or '..' with '/' or '\\' separators)`;
    case 'symlink-outside':
      return `output '${name}' is not kept: it is a symbolic link to ${reason.target}, outside the working directory, and links are never followed`;
    case 'hardlink-uncollected':
      return `output '${name}' is not kept: it is a hard link to ${reason.target}, which is not among the collected files`;
  }
}

/** The name as a clean relative path (`/` separators, no `.` parts), or undefined when it leads outside. */
export function safeRelativeName(name: string): string | undefined {
  const path = name.replace(/\\/g, '/');
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return undefined;
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return undefined;
  return parts.join('/');
}

/** True when a link `target`, read from the directory `fromDir`, names a path inside `root` (root included). */
export function linkStaysInside(root: string, fromDir: string, target: string): boolean {
  if (isAbsolute(target) || posix.isAbsolute(target)) return false;
  const rel = relative(root, resolve(fromDir, target));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
