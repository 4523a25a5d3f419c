/** The properties of the script tasks (shell, Python, Node, dbt), with Kestra's names and defaults. */
import { z } from 'zod';
import { inputFiles } from '../../flow/flow-schemas.ts';
import { boolean, expected, oneOf, string, stringList, strictMap, text } from '../../flow/schema-kit.ts';
import type { TaskSlots } from '../descriptor.ts';

/** `namespaceFiles`: which of the namespace's files are copied into the working directory. */
export function namespaceFilesSchema() {
  return strictMap({
    enabled: boolean().default(true).describe('Whether the namespace files are copied into the working directory.'),
    include: stringList().default([]).describe('Globs of the namespace files to copy; all of them when empty.'),
    exclude: stringList().default([]).describe('Globs of namespace files not to copy.'),
    namespaces: stringList().optional().describe('The namespaces whose files are copied, in order (later ones replace earlier ones); the flow\'s own by default.'),
    folderPerNamespace: boolean().default(false).describe('Each namespace\'s files go into a folder named after it, instead of all into the working directory.'),
  }, 'a map with enabled, include, exclude, namespaces and folderPerNamespace').optional();
}

function scriptCommon(slots: TaskSlots) {
  return {
    interpreter: stringList().min(1, { error: 'expected at least one word, like ["/bin/sh", "-c"]' }).default(['/bin/sh', '-c'])
      .describe('The program and its arguments that run the commands, which are passed as one last argument.'),
    beforeCommands: stringList().default([]).describe('Commands run before the main ones, in the same shell.'),
    failFast: boolean().default(true).describe('Stop at the first command that fails (`set -e`).'),
    env: z.record(z.string(), text(), { error: expected('a map of environment variables to strings') }).default({})
      .describe('Environment variables of the commands; values may be expressions. Example: {API_URL: "{{ vars.url }}"}.'),
    inputFiles: inputFiles().optional(),
    outputFiles: stringList().default([]).describe('Globs of files, relative to the working directory, kept in internal storage after the task (`{{ outputs.<id>.outputFiles[\'name\'] }}`). Example: ["*.csv", "reports/**"].'),
    namespaceFiles: namespaceFilesSchema()
      .describe('Copy the namespace\'s files (`<state dir>/namespace-files/<namespace>/`) into the working directory.'),
    containerImage: string().optional().describe('The image the commands run in, for the Docker and Kubernetes runners. Example: python:3.12-slim.'),
    taskRunner: slots.taskRunner('Where the commands run: Process (default), Docker or Kubernetes, with that runner\'s properties.'),
    runner: oneOf(['PROCESS', 'DOCKER'], 'any case').optional().describe('Kestra\'s deprecated way to pick a runner, before taskRunner: mapped onto one, with a warning.'),
    targetOS: oneOf(['LINUX', 'WINDOWS', 'AUTO'], 'any case').default('AUTO').describe('The OS the commands are written for; Harrier\'s runners run Linux and POSIX shells.'),
    warningOnStdErr: boolean().default(true).describe('End in WARNING when the commands wrote to stderr.'),
  };
}

/**
 * Python tasks only: packages to install before the script runs (Kestra installs them with uv or
 * pip, in a cached per-task environment), and through which tool.
 */
export function pythonProperties() {
  return {
    dependencies: stringList().default([]).describe('Python packages installed before the commands, as pip requirement lines. Example: [pandas, requests==2.32.0].'),
    packageManager: oneOf(['UV', 'PIP'], 'any case').default('UV')
      .describe('How dependencies are installed: UV (default; pip when uv is not on harrier\'s PATH) or PIP'),
    pythonVersion: text().optional().describe('The Python (X.Y) a container task runs, when the image tag does not say'),
    dependencyCacheEnabled: boolean().default(true).describe('Keep installed dependencies under the state directory for the next runs, default true'),
  };
}

export function commandsProperties(slots: TaskSlots) {
  return { ...scriptCommon(slots), commands: stringList().describe('The commands, run by the interpreter one after the other. Example: ["echo hello", "ls -l"].') };
}

export function scriptProperties(slots: TaskSlots) {
  return { ...scriptCommon(slots), script: string().describe('The script\'s source, written to a file in the working directory and run.') };
}

export function dbtProperties(slots: TaskSlots) {
  return {
    ...scriptCommon(slots),
    commands: stringList().describe('dbt commands, run one after the other. Example: [dbt deps, dbt build].'),
    profiles: string().optional().describe('The content of a dbt profiles.yml, written next to the project.'),
    projectDir: string().optional().describe('The dbt project\'s folder, relative to the working directory.'),
  };
}

/** What any script variant's schema yields. */
export type ScriptProperties = z.output<z.ZodObject<ReturnType<typeof scriptCommon>>> & {
  commands?: string[];
  script?: string;
  profiles?: string;
  projectDir?: string;
} & Partial<z.output<z.ZodObject<ReturnType<typeof pythonProperties>>>>;
