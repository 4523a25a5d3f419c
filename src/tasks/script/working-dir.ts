import { copyFile, lstat, mkdir, opendir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import picomatch from 'picomatch';
import {
  normalizeRelativeName, OUTPUT_PATTERN_HINT, outputPatternProblem, RELATIVE_NAME_HINT, relativeNameProblem,
} from '../../flow/file-names.ts';
import { HarrierError } from '../../shared/errors.ts';
import type { InternalStorage } from '../../store/index.ts';

/**
 * A file name given by a flow, made safe: relative, normalised, and never leaving the working
 * directory. Throws a HarrierError naming the property otherwise.
 */
export function safeRelativePath(name: string, property: string): string {
  const problem = relativeNameProblem(name);
  if (problem) throw new HarrierError(`${property}: ${problem}`, { code: 'PATH_UNSAFE', hint: RELATIVE_NAME_HINT });
  return normalizeRelativeName(name);
}

/** Refuses to write through a symlink: every existing parent of `relativePath` must be a real directory. */
async function assertNoSymlinkOnPath(root: string, relativePath: string, property: string): Promise<void> {
  const parts = relativePath.split('/');
  let current = root;
  for (const part of parts) {
    current = join(current, part);
    try {
      if ((await lstat(current)).isSymbolicLink()) {
        throw new HarrierError(`${property}: '${relativePath}' goes through a symbolic link, which could lead outside the working directory`, { code: 'PATH_UNSAFE' });
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
  }
}

export async function writeInputFiles(
  workingDir: string,
  files: Record<string, string>,
  storage: InternalStorage,
): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const property = `inputFiles['${name}']`;
    const relative = safeRelativePath(name, property);
    await assertNoSymlinkOnPath(workingDir, relative, property);
    const target = join(workingDir, relative);
    await mkdir(dirname(target), { recursive: true });
    if (storage.isUri(content.trim())) {
      await copyFile(await storage.resolveUri(content.trim()), target);
    } else {
      await writeFile(target, content);
    }
  }
}

/** Copies the namespace's regular files that match `include` and not `exclude`. */
export async function copyNamespaceFiles(
  namespaceDir: string,
  workingDir: string,
  filter: { include: string[]; exclude: string[] },
): Promise<number> {
  const included = filter.include.length ? picomatch(filter.include, { dot: true }) : () => true;
  const excluded = filter.exclude.length ? picomatch(filter.exclude, { dot: true }) : () => false;
  let copied = 0;
  const walk = async (relativeDir: string): Promise<void> => {
    let directory;
    try {
      directory = await opendir(join(namespaceDir, relativeDir));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && relativeDir === '') return;
      throw error;
    }
    for await (const entry of directory) {
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        await walk(relative);
      } else if (entry.isFile() && included(relative) && !excluded(relative)) {
        const target = join(workingDir, relative);
        await mkdir(dirname(target), { recursive: true });
        await copyFile(join(namespaceDir, relative), target);
        copied++;
      }
    }
  };
  await walk('');
  return copied;
}

/** An `outputFiles` pattern may only match inside the working directory. */
export function assertSafeOutputPattern(pattern: string, property: string): void {
  const problem = outputPatternProblem(pattern);
  if (problem) throw new HarrierError(`${property}: ${problem}`, { code: 'PATH_UNSAFE', hint: OUTPUT_PATTERN_HINT });
}
