/**
 * Harrier's settings and where each comes from: a command-line flag, else an environment variable,
 * else the configuration file ($XDG_CONFIG_HOME/harrier/config.yaml, else ~/.config/harrier/config.yaml),
 * else a default. `harrier config` shows them; the commands read them through `settings()`.
 * Paths in the file are relative to the file's folder, paths in flags and variables to the current one.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { HarrierError } from '../shared/errors.ts';
import { closeMatches } from '../shared/suggest.ts';
import { defaultStateDir } from './context.ts';

export type SettingName = 'stateDir' | 'storageDir' | 'serverUrl' | 'secretsFile' | 'namespaceFiles' | 'taskRunner' | 'kubeconfig' | 'context';

interface SettingSpec {
  /** What the setting is, for `harrier config` and the errors. */
  description: string;
  flag?: string;
  env: string;
  /** A path: made absolute against the file's folder (file) or the current one (flag, variable). */
  path: boolean;
  fallback?: (env: NodeJS.ProcessEnv) => string;
}

export const SETTINGS: Record<SettingName, SettingSpec> = {
  stateDir: { description: 'state directory (executions, logs, output files)', flag: '--state-dir', env: 'HARRIER_STATE_DIR', path: true, fallback: defaultStateDir },
  storageDir: {
    description: 'internal storage folder (output files, FILE inputs); default <state dir>/storage; one shared folder for servers and workers on several machines',
    flag: '--storage-dir', env: 'HARRIER_STORAGE_DIR', path: true,
  },
  serverUrl: { description: 'URL of the harrier server that run, resume, executions and logs talk to instead of the local store', flag: '--server', env: 'HARRIER_SERVER', path: false },
  secretsFile: { description: "file of secrets for secret('NAME')", flag: '--secrets-file', env: 'HARRIER_SECRETS_FILE', path: true },
  namespaceFiles: {
    description: 'folder with one sub-folder of files per namespace', flag: '--namespace-files', env: 'HARRIER_NAMESPACE_FILES', path: true,
  },
  taskRunner: { description: 'the default of --task-runner: runner for every script task (process, docker, kubernetes)', flag: '--task-runner', env: 'HARRIER_TASK_RUNNER', path: false },
  kubeconfig: { description: 'kubeconfig file(s) of the Kubernetes runner and PodCreate', flag: '--kubeconfig', env: 'KUBECONFIG', path: true },
  context: { description: 'kubeconfig context of the Kubernetes runner and PodCreate', flag: '--context', env: 'HARRIER_KUBE_CONTEXT', path: false },
};

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

export type Source = 'flag' | 'env' | 'file' | 'default';

export interface Setting {
  value: string | undefined;
  /** Undefined when nothing sets it. */
  source?: Source;
  /** The flag, the variable, or file:line:column. */
  from?: string;
}

export type Settings = Record<SettingName, Setting>;

export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return xdg && isAbsolute(xdg) ? join(xdg, 'harrier', 'config.yaml') : join(env.HOME || homedir(), '.config', 'harrier', 'config.yaml');
}

interface FileValue {
  value: string;
  at: string;
}

/** The file's settings, validated; undefined when there is no file. Errors are located, one line each. */
export function readConfigFile(path: string, runnerKinds: readonly string[]): Partial<Record<SettingName, FileValue>> | undefined {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw configError(`${path}: cannot read the configuration file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined): string => {
    const { line, col } = lines.linePos(offset ?? 0);
    return `${path}:${line}:${col}`;
  };
  if (doc.errors.length > 0) throw configError(`${at(doc.errors[0].pos[0])}: ${doc.errors[0].message.split('\n')[0]}`);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return {};
  if (!isMap(doc.contents)) throw configError(`${at(doc.contents.range?.[0])}: the configuration file must be a map of settings (${SETTING_NAMES.join(', ')})`);
  const found: Partial<Record<SettingName, FileValue>> = {};
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const keyAt = at(isScalar(pair.key) ? pair.key.range?.[0] : undefined);
    if (!(key in SETTINGS)) {
      const near = closeMatches(key, SETTING_NAMES)[0];
      throw configError(`${keyAt}: unknown setting '${key}'${near ? ` (did you mean '${near}'?)` : ''}; known: ${SETTING_NAMES.join(', ')}`);
    }
    const name = key as SettingName;
    const node = pair.value;
    const valueAt = node && typeof node === 'object' && 'range' in node ? at((node as { range?: number[] }).range?.[0]) : keyAt;
    if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') {
      throw configError(`${valueAt}: '${name}' must be a non-empty string (${SETTINGS[name].description})`);
    }
    if (name === 'taskRunner' && !runnerKinds.includes(node.value.toLowerCase())) {
      throw configError(`${valueAt}: 'taskRunner' must be one of ${runnerKinds.join(', ')}, not '${node.value}'`);
    }
    const value = SETTINGS[name].path ? resolve(dirname(path), node.value) : name === 'taskRunner' ? node.value.toLowerCase() : node.value;
    found[name] = { value, at: valueAt };
  }
  return found;
}

function configError(message: string): HarrierError {
  return new HarrierError(message, { code: 'CONFIG_INVALID', hint: 'fix the configuration file, or move it aside; `harrier config` shows every setting' });
}

/** Each setting's value and source: flag, else environment variable, else file, else default. */
export function resolveSettings(
  flags: Partial<Record<SettingName, string | undefined>>,
  env: NodeJS.ProcessEnv,
  file: Partial<Record<SettingName, FileValue>> | undefined,
): Settings {
  const settings = {} as Settings;
  for (const name of SETTING_NAMES) {
    const spec = SETTINGS[name];
    const flag = flags[name];
    const fromEnv = env[spec.env];
    const absolute = (value: string): string => (spec.path ? resolve(value) : value);
    if (flag !== undefined) settings[name] = { value: absolute(flag), source: 'flag', from: spec.flag };
    // KUBECONFIG is a list of files, as kubectl reads it: kept as it is.
    else if (fromEnv) settings[name] = { value: name === 'kubeconfig' ? fromEnv : absolute(fromEnv), source: 'env', from: spec.env };
    else if (file?.[name]) settings[name] = { value: file[name]!.value, source: 'file', from: file[name]!.at };
    else if (spec.fallback) settings[name] = { value: spec.fallback(env), source: 'default' };
    else settings[name] = { value: undefined };
  }
  return settings;
}

/**
 * The settings of this command: its flags over the environment over the file. The runner table
 * (zod schemas) is loaded only when the file names a task runner, to check it.
 */
export async function settings(flags: Partial<Record<SettingName, string | undefined>> = {}, env: NodeJS.ProcessEnv = process.env): Promise<Settings> {
  const path = configFilePath(env);
  const mentionsRunner = (() => {
    try {
      return /^\s*taskRunner\s*:/m.test(readFileSync(path, 'utf8'));
    } catch {
      return false;
    }
  })();
  const kinds = mentionsRunner ? (await import('./runner-choice.ts')).RUNNER_CHOICES : [];
  return resolveSettings(flags, env, readConfigFile(path, kinds));
}

/**
 * The `--kubeconfig` / `--context` values a `run` takes from the settings when its command line
 * names none: the file's kubeconfig (KUBECONFIG itself the runner reads as kubectl does), and the
 * context of HARRIER_KUBE_CONTEXT or the file. A resume keeps the run's own.
 */
export function kubernetesDefaults(current: Settings): { kubeconfig?: string; context?: string } {
  return {
    ...(current.kubeconfig.source === 'file' ? { kubeconfig: current.kubeconfig.value } : {}),
    ...(current.context.source === 'env' || current.context.source === 'file' ? { context: current.context.value } : {}),
  };
}
