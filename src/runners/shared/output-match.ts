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

/** Every regular file under `dir` that is an output, as sorted relative paths with `/` separators. */
export async function listOutputFiles(dir: string, globs: readonly string[], outputDirName: string): Promise<string[]> {
  const matches = createOutputMatcher(globs, outputDirName);
  const found: string[] = [];
  await walk(dir, '', (relativePath) => {
    if (matches(relativePath)) found.push(relativePath);
  });
  return found.sort();
}

async function walk(root: string, relativeDir: string, onFile: (relativePath: string) => void): Promise<void> {
  const directory = await opendir(relativeDir ? join(root, relativeDir) : root);
  for await (const dirent of directory) {
    const relativePath = relativeDir ? `${relativeDir}/${dirent.name}` : dirent.name;
    if (dirent.isDirectory()) await walk(root, relativePath, onFile);
    else if (dirent.isFile()) onFile(relativePath);
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
