import { copyFile, cp, lstat, mkdir, readlink, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { renderDeep } from '../../expr/index.ts';
import type { NamespaceFilesDef, RunnerKind, ScriptTask } from '../../flow/model.ts';
import { listAllFiles, listOutputFiles } from '../../runners/shared/output-match.ts';
import { linkStaysInside, safeRelativeName, skippedOutputNotice } from '../../runners/shared/unsafe-output.ts';
import { HarrierError, TaskFailedError } from '../../shared/errors.ts';
import type { StoredFile } from '../../store/index.ts';
import type { TaskContext, TaskOutcome } from '../contract.ts';
import { OutputReader } from '../output-reader.ts';
import { buildCommandLine, scriptCommand, scriptFileName } from './command-line.ts';
import { installPythonDependencies, pythonVersionOfImage } from './python-dependencies.ts';
import { PYTHON_HELPER_DIR, PYTHON_KESTRA_MODULE } from './python-helper.ts';
import { replaceStorageUris, type StorageCopy } from './storage-uris.ts';
import { assertSafeOutputPattern, copyNamespaceFiles, writeInputFiles } from './working-dir.ts';

/** The output folder's name inside the working directory. */
export const OUTPUT_DIR_NAME = 'outputs';

/** Kestra's default images per language, used by container runners when a task names none. */
const DEFAULT_IMAGES: Record<ScriptTask['language'], string> = {
  shell: 'ubuntu',
  python: 'python',
  node: 'node',
  dbt: 'ghcr.io/kestra-io/dbt',
};

/**
 * A script task attempt (shell, Python, Node, dbt): prepare the working directory, render the
 * command line, hand it to the task runner, then turn what it printed and wrote into outputs.
 */
export async function runScriptTask(task: ScriptTask, ctx: TaskContext): Promise<TaskOutcome> {
  const runnerKind: RunnerKind = ctx.taskRunnerOverride ?? task.taskRunner.kind;
  const runner = await ctx.runners.get(runnerKind);
  ctx.recordRunner(runner.kind);
  const where = (property: string): string => `task '${task.id}', property '${property}'`;
  const shared = ctx.sharedDir !== undefined;
  const hostDir = ctx.sharedDir?.hostDir ?? ctx.attemptDir;
  const workingDir = runner.workingDirFor(hostDir);
  const outputDir = posix.join(workingDir, OUTPUT_DIR_NAME);
  const scope = { ...ctx.scope, workingDir, outputDir };
  const render = <T>(value: T, property: string): T => renderDeep(value, scope, ctx.runtime, where(property));

  const env: Record<string, string> = {
    ...render(task.env, 'env'),
    WORKING_DIR: workingDir,
    OUTPUT_DIR: outputDir,
  };
  const containerImage = runnerKind === 'process' ? undefined : (render(task.containerImage, 'containerImage') ?? DEFAULT_IMAGES[task.language]);
  const pythonLibs = task.python && !ctx.resume ? await pythonDependencies(task.python, ctx, render, runnerKind, containerImage) : undefined;
  if (task.language === 'python') {
    // In a container, the libraries travel with the working directory (copied in below).
    const libPath = pythonLibs === undefined ? undefined : runnerKind === 'process' ? pythonLibs : posix.join(workingDir, PYTHON_LIBS_DIR);
    const paths = [posix.join(workingDir, PYTHON_HELPER_DIR), libPath, env.PYTHONPATH].filter((path) => path);
    env.PYTHONPATH = paths.join(':');
    if (libPath !== undefined && runnerKind === 'process') env.PATH = `${posix.join(libPath, 'bin')}:${env.PATH ?? process.env.PATH ?? ''}`;
  }
  const { command, copies } = replaceStorageUris(buildScriptCommand(task, render, workingDir), workingDir);
  const outputGlobs = render(task.outputFiles, 'outputFiles');
  outputGlobs.forEach((pattern, i) => assertSafeOutputPattern(pattern, `task '${task.id}', property 'outputFiles[${i}]'`));
  const runnerProperties = runnerKind === task.taskRunner.kind
    ? render(task.taskRunner.properties, 'taskRunner')
    : render(ctx.taskRunnerOverrideProperties ?? {}, 'pluginDefaults');

  if (!ctx.resume) {
    await prepareWorkingDir(task, ctx, render, hostDir);
    await copyStoredFiles(ctx, hostDir, copies);
    if (pythonLibs !== undefined && runnerKind !== 'process' && pythonLibs !== join(hostDir, PYTHON_LIBS_DIR)) await cp(pythonLibs, join(hostDir, PYTHON_LIBS_DIR), { recursive: true, verbatimSymlinks: true });
  }

  const printed = await OutputReader.open(ctx);
  const outcome = await (async () => {
    try {
      return await runner.run({
        identity: ctx.identity,
        command,
        env,
        hostWorkingDir: hostDir,
        outputDirName: OUTPUT_DIR_NAME,
        // In a shared directory every file the task writes comes back, for the tasks after it.
        outputGlobs: shared ? [...outputGlobs, '**'] : outputGlobs,
        containerImage,
        properties: runnerProperties,
        settings: ctx.runnerSettings?.[runnerKind],
        taskTimeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
        log: printed.accept,
        notice: ctx.notice,
        progress: ctx.progress,
        resume: ctx.resume,
        saveResumeHandle: ctx.saveResumeHandle,
      });
    } finally {
      const outputFiles = await collectOutputFiles(ctx, hostDir, outputGlobs, { keepMatches: shared });
      ctx.recordOutputs({ vars: printed.vars, outputFiles: uriMap(outputFiles) }, outputFiles);
    }
  })();

  if (outcome.exitCode !== 0) {
    throw new TaskFailedError(`task '${task.id}' failed: the command exited with code ${outcome.exitCode}`, { exitCode: outcome.exitCode });
  }
  ctx.recordOutputs({ ...printed.vars, vars: printed.vars, exitCode: outcome.exitCode });
  return { state: task.warningOnStdErr && printed.wroteToStderr ? 'WARNING' : 'SUCCESS', exitCode: outcome.exitCode };
}

/** Where a container task finds its Python dependencies, inside the working directory. */
const PYTHON_LIBS_DIR = '.harrier/python-libs';

/** The host folder with the task's installed `dependencies`, or undefined when it has none. */
async function pythonDependencies(
  python: NonNullable<ScriptTask['python']>,
  ctx: TaskContext,
  render: <T>(value: T, property: string) => T,
  runnerKind: RunnerKind,
  containerImage: string | undefined,
): Promise<string | undefined> {
  const dependencies = render(python.dependencies, 'dependencies');
  if (dependencies.length === 0) return undefined;
  const pythonVersion = python.pythonVersion === undefined ? undefined : render(python.pythonVersion, 'pythonVersion');
  return installPythonDependencies({
    dependencies,
    packageManager: python.packageManager,
    // A process task runs the host's Python: the libraries must fit that one.
    targetVersion: runnerKind === 'process' ? undefined : pythonVersion ?? pythonVersionOfImage(containerImage),
    cacheEnabled: python.dependencyCacheEnabled,
    cacheDir: ctx.cacheDir,
    scratchDir: join(ctx.attemptDir, PYTHON_LIBS_DIR),
    signal: ctx.signal,
    log: ctx.log,
    notice: ctx.notice,
  });
}

function buildScriptCommand(task: ScriptTask, render: <T>(value: T, property: string) => T, workingDir: string): string[] {
  const commands = task.mode === 'script'
    ? [scriptCommand(task.language, posix.join(workingDir, scriptFileName(task.language)))]
    : render(task.commands, 'commands');
  return buildCommandLine({
    interpreter: render(task.interpreter, 'interpreter'),
    beforeCommands: render(task.beforeCommands, 'beforeCommands'),
    commands,
    failFast: task.failFast,
  });
}

async function copyStoredFiles(ctx: TaskContext, hostDir: string, copies: StorageCopy[]): Promise<void> {
  for (const { uri, name } of copies) {
    const target = join(hostDir, name);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(await ctx.storage.resolveUri(uri), target);
  }
}

async function prepareWorkingDir(
  task: ScriptTask,
  ctx: TaskContext,
  render: <T>(value: T, property: string) => T,
  hostDir: string,
): Promise<void> {
  await mkdir(join(hostDir, OUTPUT_DIR_NAME), { recursive: true });
  await copyNamespaceFilesInto(hostDir, task.namespaceFiles, ctx, render);
  await writeInputFiles(hostDir, renderInputFiles(task.inputFiles, render), ctx.storage);
  if (task.mode === 'script') {
    const path = join(hostDir, scriptFileName(task.language));
    await mkdir(join(hostDir, '.harrier'), { recursive: true });
    await writeFile(path, render(task.script ?? '', 'script'));
  }
  if (task.language === 'python') {
    await mkdir(join(hostDir, PYTHON_HELPER_DIR), { recursive: true });
    await writeFile(join(hostDir, PYTHON_HELPER_DIR, 'kestra.py'), PYTHON_KESTRA_MODULE);
  }
}

/** The namespace files `namespaceFiles` selects, copied into `hostDir`; later namespaces' files replace earlier ones, as in Kestra. */
export async function copyNamespaceFilesInto(
  hostDir: string,
  namespaceFiles: NamespaceFilesDef | undefined,
  ctx: Pick<TaskContext, 'namespaceFilesDir' | 'namespaceFilesOf' | 'notice'>,
  render: <T>(value: T, property: string) => T,
): Promise<void> {
  if (!namespaceFiles?.enabled) return;
  const { namespaces, folderPerNamespace } = namespaceFiles;
  for (const namespace of namespaces === undefined ? [undefined] : render(namespaces, 'namespaceFiles.namespaces')) {
    const source = namespace === undefined ? ctx.namespaceFilesDir : ctx.namespaceFilesOf(namespace);
    const target = folderPerNamespace ? join(hostDir, basename(source)) : hostDir;
    const copied = await copyNamespaceFiles(source, target, namespaceFiles);
    ctx.notice('DEBUG', `copied ${copied} namespace file(s) from ${source}`);
  }
}

/** `inputFiles` is a map, or one expression (a FILE input, an earlier output) rendering to a JSON map. */
export function renderInputFiles(
  inputFiles: Record<string, string> | string,
  render: <T>(value: T, property: string) => T,
): Record<string, string> {
  if (typeof inputFiles !== 'string') return render(inputFiles, 'inputFiles');
  const text = render(inputFiles, 'inputFiles');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    }
  } catch {
    // Reported below with what was expected.
  }
  throw new HarrierError(`task property 'inputFiles' rendered to something that is not a JSON map of file name to content`, {
    code: 'TASK_PROPERTY_INVALID',
    hint: 'write inputFiles as a map, e.g. inputFiles: {data.txt: "{{ inputs.file }}"}',
  });
}

/**
 * Stores every output file found in `hostDir` (copied rather than moved with `keepMatches`, except
 * under the output folder). Unsafe entries (unsafe-output.ts) are left out with
 * a warning, and a file sharing its inode with another (a hard link) is stored as a copy, never
 * moved: the stored output must not change when a file outside does.
 */
export async function collectOutputFiles(
  ctx: TaskContext,
  hostDir: string,
  globs: string[],
  options: { keepMatches?: boolean } = {},
): Promise<Record<string, StoredFile>> {
  await rm(join(hostDir, '.harrier'), { recursive: true, force: true });
  let found: { files: string[]; links: string[] };
  try {
    // Without globs only the output folder can hold outputs: no need to walk the whole directory.
    if (globs.length > 0) found = await listOutputFiles(hostDir, globs, OUTPUT_DIR_NAME);
    else {
      const inFolder = await listAllFiles(join(hostDir, OUTPUT_DIR_NAME));
      const prefixed = (paths: string[]): string[] => paths.map((path) => `${OUTPUT_DIR_NAME}/${path}`);
      found = { files: prefixed(inFolder.files), links: prefixed(inFolder.links) };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  for (const link of found.links) {
    const target = await readlink(join(hostDir, link));
    if (!linkStaysInside(hostDir, join(hostDir, posix.dirname(link)), target)) {
      ctx.notice('WARN', skippedOutputNotice({ name: link, reason: { kind: 'symlink-outside', target } }));
    }
  }
  const stored: Record<string, StoredFile> = {};
  const scope = { namespace: ctx.identity.namespace, flowId: ctx.identity.flowId, executionId: ctx.identity.executionId };
  for (const relative of found.files) {
    const name = safeRelativeName(relative.startsWith(`${OUTPUT_DIR_NAME}/`) ? relative.slice(OUTPUT_DIR_NAME.length + 1) : relative);
    if (name === undefined) {
      ctx.notice('WARN', skippedOutputNotice({ name: relative, reason: { kind: 'name-leaves' } }));
      continue;
    }
    const path = join(hostDir, relative);
    const key = ctx.storage.taskFileKey(scope, ctx.identity.taskId, ctx.identity.taskRunId, name);
    // In a shared directory a matched file stays for the tasks after this one; the output folder is this task's own.
    const keep = options.keepMatches === true && !relative.startsWith(`${OUTPUT_DIR_NAME}/`);
    stored[name] = await ctx.storage.put(key, path, { move: !keep && (await lstat(path)).nlink === 1 });
  }
  return stored;
}

export function uriMap(files: Record<string, StoredFile>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([name, file]) => [name, file.uri]));
}
