import type { TaskBase, TaskRunnerDef } from '../../flow/model.ts';
import { runnerOfKind } from '../../runners/table.ts';
import type { TaskDescriptor } from '../descriptor.ts';
import { commandsProperties, dbtProperties, pythonProperties, type ScriptProperties, scriptProperties } from './schema.ts';

export type ScriptLanguage = 'shell' | 'python' | 'node' | 'dbt';

export interface NamespaceFilesDef {
  enabled: boolean;
  include: string[];
  exclude: string[];
  namespaces?: string[];
  folderPerNamespace: boolean;
}

export interface ScriptTask extends TaskBase {
  kind: 'script';
  language: ScriptLanguage;
  /** `commands`: each entry a shell command; `script`: one program in the task's language. */
  mode: 'commands' | 'script';
  commands: string[];
  script?: string;
  /** Default `["/bin/sh","-c"]`. */
  interpreter: string[];
  beforeCommands: string[];
  /** Default true: the command line starts with `set -e`. */
  failFast: boolean;
  env: Record<string, string>;
  /** File name → content (or a `kestra://` URI), or an expression rendering to such a map as JSON. */
  inputFiles: Record<string, string> | string;
  outputFiles: string[];
  namespaceFiles?: NamespaceFilesDef;
  containerImage?: string;
  taskRunner: TaskRunnerDef;
  /** Default true: a successful run that wrote to stderr ends in WARNING. */
  warningOnStdErr: boolean;
  /** DbtCLI only: the content of a profiles.yml to write next to the project. */
  profiles?: string;
  /** DbtCLI only: the dbt project folder, relative to the working directory. */
  projectDir?: string;
  /** Python only: packages Kestra installs before the script, with `packageManager` (UV or PIP). */
  python?: PythonEnvironment;
}

export interface PythonEnvironment {
  dependencies: string[];
  packageManager: 'UV' | 'PIP';
  pythonVersion?: string;
  dependencyCacheEnabled: boolean;
}

type ScriptPluginLanguage = Exclude<ScriptLanguage, 'dbt'>;
const DBT_TYPE = 'io.kestra.plugin.dbt.cli.DbtCLI';

/** `io.kestra.plugin.scripts.shell.Commands` and its alias `shell.Commands`, and so on. */
function typesOf(mode: 'Commands' | 'Script', languages: ScriptPluginLanguage[]): Array<readonly [string, string]> {
  return languages.map((language) => [`io.kestra.plugin.scripts.${language}.${mode}`, `${language}.${mode}`] as const);
}

function languageAndMode(type: string): Pick<ScriptTask, 'language' | 'mode'> {
  if (type === DBT_TYPE) return { language: 'dbt', mode: 'commands' };
  const [, language, mode] = /^io\.kestra\.plugin\.scripts\.(\w+)\.(Commands|Script)$/.exec(type)!;
  return { language: language as ScriptLanguage, mode: mode === 'Script' ? 'script' : 'commands' };
}

/** Shell, Python, Node and dbt tasks: commands or a script, run through a task runner. */
export const scriptTask: TaskDescriptor<ScriptTask> = {
  kind: 'script',
  variants: [
    { types: typesOf('Commands', ['shell', 'node']), properties: commandsProperties },
    { types: typesOf('Commands', ['python']), properties: (slots) => ({ ...commandsProperties(slots), ...pythonProperties() }) },
    { types: typesOf('Script', ['shell', 'node']), properties: scriptProperties },
    { types: typesOf('Script', ['python']), properties: (slots) => ({ ...scriptProperties(slots), ...pythonProperties() }) },
    { types: [[DBT_TYPE, 'dbt.DbtCLI']], properties: dbtProperties },
  ],
  model: ({ type, properties, taskRunner }, common) => {
    const task = properties as ScriptProperties;
    return {
      ...common,
      kind: 'script',
      ...languageAndMode(type),
      commands: task.commands ?? [],
      script: task.script,
      interpreter: task.interpreter,
      beforeCommands: task.beforeCommands,
      failFast: task.failFast,
      env: task.env,
      inputFiles: task.inputFiles ?? {},
      outputFiles: task.outputFiles,
      namespaceFiles: task.namespaceFiles,
      containerImage: task.containerImage,
      taskRunner: taskRunner!,
      warningOnStdErr: task.warningOnStdErr,
      profiles: task.profiles,
      projectDir: task.projectDir,
      python: task.packageManager === undefined ? undefined : {
        dependencies: task.dependencies ?? [],
        packageManager: task.packageManager,
        dependencyCacheEnabled: task.dependencyCacheEnabled ?? true,
        ...(task.pythonVersion === undefined ? {} : { pythonVersion: task.pythonVersion }),
      },
    };
  },
  load: async () => (await import('./script-task.ts')).runScriptTask,
  reattaches: (task, runnerOverride) => runnerOfKind(runnerOverride ?? task.taskRunner.kind).reattaches,
};
