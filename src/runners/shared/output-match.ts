/**
 * Which files of a working directory are task outputs, with Kestra's meaning: everything under the
 * output folder, plus every regular file matching an `outputFiles` pattern. Patterns are relative to
 * the working directory; `*` matches dot files too (Java globs have no dot rule); a `regex:` prefix
 * makes the rest a regular expression matched against the whole relative path; `glob:` is allowed.
 * Symlinks are never followed and never count as outputs.
 */
import { opendir } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';

export type OutputMatcher = (relativePath: string) => boolean;

/** Compiles the rule once; use it when many paths are tested. */
export function createOutputMatcher(globs: readonly string[], outputDirName: string): OutputMatcher {
  const outputPrefix = `${normalizeRelative(outputDirName)}/`;
  const patterns = globs.map(compilePattern);
  return (relativePath) => {
    const path = normalizeRelative(relativePath);
    if (outputPrefix !== '/' && path.startsWith(outputPrefix)) return true;
    return patterns.some((matches) => matches(path));
  };
}

export function matchesOutput(relativePath: string, globs: readonly string[], outputDirName: string): boolean {
  return createOutputMatcher(globs, outputDirName)(relativePath);
}

/**
 * Every regular file under `dir` that is an output, as sorted relative paths with `/` separators;
 * and the symbolic links the rule would match, which are not outputs, in `links`.
 */
export function listOutputFiles(dir: string, globs: readonly string[], outputDirName: string): Promise<{ files: string[]; links: string[] }> {
  return listMatching(dir, createOutputMatcher(globs, outputDirName));
}

/** Every regular file under `dir`, whatever its name, and the symbolic links apart, as listOutputFiles gives them. */
export function listAllFiles(dir: string): Promise<{ files: string[]; links: string[] }> {
  return listMatching(dir, () => true);
}

async function listMatching(dir: string, matches: OutputMatcher): Promise<{ files: string[]; links: string[] }> {
  const files: string[] = [];
  const links: string[] = [];
  await walk(dir, '', (relativePath, isLink) => {
    if (matches(relativePath)) (isLink ? links : files).push(relativePath);
  });
  return { files: files.sort(), links: links.sort() };
}

async function walk(root: string, relativeDir: string, onEntry: (relativePath: string, isLink: boolean) => void): Promise<void> {
  const directory = await opendir(relativeDir ? join(root, relativeDir) : root);
  for await (const dirent of directory) {
    const relativePath = relativeDir ? `${relativeDir}/${dirent.name}` : dirent.name;
    if (dirent.isDirectory()) await walk(root, relativePath, onEntry);
    else if (dirent.isFile()) onEntry(relativePath, false);
    else if (dirent.isSymbolicLink()) onEntry(relativePath, true);
  }
}

function compilePattern(pattern: string): OutputMatcher {
  if (pattern.startsWith('regex:')) {
    const regex = new RegExp(`^(?:${pattern.slice('regex:'.length)})$`);
    return (path) => regex.test(path);
  }
  const glob = normalizeRelative(pattern.startsWith('glob:') ? pattern.slice('glob:'.length) : pattern);
  return picomatch(glob, { dot: true });
}

function normalizeRelative(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}
