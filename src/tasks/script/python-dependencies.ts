/**
 * Python `dependencies`, installed as Kestra does: on harrier's host, with uv or pip, into one
 * folder (`--target`) that the task finds on PYTHONPATH. A process task reads it where it is; a
 * container task gets a copy in its working directory, so any image with a Python of the same minor
 * version can use it, pip or not. With `dependencyCacheEnabled` (the default) the folder is kept
 * under `<state dir>/cache/python/<key>`, the key being the Python version and the sorted list.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { HarrierError } from '../../shared/errors.ts';
import type { NoticeLevel } from '../../runners/contract.ts';
import type { TaskLogLine } from '../contract.ts';

export type PackageManager = 'UV' | 'PIP';

export interface DependencyInstall {
  dependencies: string[];
  packageManager: PackageManager;
  /** The Python the task runs (`X.Y`); the host's when unknown. */
  targetVersion?: string;
  cacheEnabled: boolean;
  /** `<state dir>/cache`. */
  cacheDir: string;
  /** Where an uncached install goes: inside the attempt's folder, removed with it. */
  scratchDir: string;
  signal: AbortSignal;
  log(line: TaskLogLine): void;
  notice(level: NoticeLevel, message: string): void;
}

/** The cache key: one folder per Python version and set of requirements, whatever their order. */
export function dependencyKey(pythonVersion: string, dependencies: string[]): string {
  return createHash('sha256').update(JSON.stringify([pythonVersion, [...dependencies].sort()])).digest('hex').slice(0, 32);
}

/** `python:3.12-slim` → `3.12`; an image without a version in its tag says nothing. */
export function pythonVersionOfImage(image: string | undefined): string | undefined {
  return image === undefined ? undefined : /(?:^|\/)python:(\d+\.\d+)/.exec(image)?.[1];
}

/** Installs (or finds cached) the dependencies; returns the host folder that holds them. */
export async function installPythonDependencies(request: DependencyInstall): Promise<string> {
  const hostVersion = await hostPythonVersion(request.signal);
  const version = request.targetVersion ?? hostVersion;
  const key = dependencyKey(version, request.dependencies);
  const cached = join(request.cacheDir, 'python', key);
  if (request.cacheEnabled && await exists(cached)) {
    request.notice('INFO', `Python dependencies for ${version} from the cache (${request.dependencies.join(', ')})`);
    return cached;
  }
  const target = request.cacheEnabled ? `${cached}.tmp-${randomBytes(4).toString('hex')}` : request.scratchDir;
  await mkdir(target, { recursive: true });
  const requirements = `${target}.requirements.txt`;
  await writeFile(requirements, `${request.dependencies.join('\n')}\n`);
  try {
    const manager = await usableManager(request);
    const command = manager === 'UV'
      ? [uvCommand(), 'pip', 'install', '--target', target, '--python-version', version, '-r', requirements]
      : ['python3', '-m', 'pip', 'install', '--target', target, '--no-input', '--disable-pip-version-check', '-r', requirements,
        // Wheels for another Python than the host's: pip may then only take binary ones.
        ...(version === hostVersion ? [] : ['--python-version', version, '--only-binary=:all:'])];
    request.notice('INFO', `installing Python dependencies for ${version} with ${manager === 'UV' ? 'uv' : 'pip'}: ${request.dependencies.join(', ')}`);
    const environment: Record<string, string> = manager === 'UV' ? { UV_CACHE_DIR: join(request.cacheDir, 'uv') } : {};
    await runInstaller(command, environment, request);
  } catch (error) {
    await rm(target, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(requirements, { force: true });
  }
  if (!request.cacheEnabled) return target;
  try {
    await rename(target, cached);
  } catch (error) {
    // Another run finished the same install first: its folder serves.
    await rm(target, { recursive: true, force: true });
    if (!await exists(cached)) throw error;
  }
  return cached;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function uvCommand(): string {
  return process.env.UV_PATH ?? 'uv';
}

/** uv when asked for and present; else pip, with a warning (Kestra falls back the same way). */
async function usableManager(request: DependencyInstall): Promise<PackageManager> {
  if (request.packageManager === 'PIP') return 'PIP';
  const version = await output([uvCommand(), '--version'], request.signal).catch(() => undefined);
  if (version !== undefined) return 'UV';
  request.notice('WARN', `packageManager UV: '${uvCommand()}' is not on harrier's PATH (install it with \`pip install uv\`, or set UV_PATH); installing with pip instead`);
  return 'PIP';
}

async function hostPythonVersion(signal: AbortSignal): Promise<string> {
  try {
    return (await output(['python3', '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], signal)).trim();
  } catch (error) {
    if (signal.aborted) throw error;
    throw new HarrierError('Python dependencies need python3 on harrier\'s PATH, to install them with pip or uv; none runs here', {
      code: 'PYTHON_DEPENDENCIES_FAILED', cause: error, hint: 'install Python 3 on this machine, or bake the packages into the image and drop `dependencies`',
    });
  }
}

function output(command: string[], signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { signal, stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`${command[0]} exited with ${code}`))));
  });
}

/** Runs the installer, its output going to the task's log at DEBUG; a failure names the installer's last error line. */
function runInstaller(command: string[], environment: Record<string, string>, request: DependencyInstall): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      signal: request.signal, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...environment },
    });
    let lastError = '';
    const follow = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr'): void => {
      createInterface({ input: stream }).on('line', (line) => {
        if (name === 'stderr' && /error/i.test(line)) lastError = line.trim();
        request.log({ level: 'DEBUG', line, stream: name, timestamp: new Date().toISOString() });
      });
    };
    follow(child.stdout, 'stdout');
    follow(child.stderr, 'stderr');
    child.on('error', (error) => reject(request.signal.aborted ? error : new HarrierError(`cannot run ${command[0]}: ${error.message}`, {
      code: 'PYTHON_DEPENDENCIES_FAILED', cause: error,
    })));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else if (!request.signal.aborted) {
        reject(new HarrierError(`${command[0] === 'python3' ? 'pip' : 'uv'} could not install the dependencies (exit ${code})${lastError ? `: ${lastError}` : ''}`, {
          code: 'PYTHON_DEPENDENCIES_FAILED', hint: 'check the package names and versions; the task\'s DEBUG log has the installer\'s output',
        }));
      }
    });
  });
}
