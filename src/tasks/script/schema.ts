/** The properties of the script tasks (shell, Python, Node, dbt), with Kestra's names and defaults. */
import { z } from 'zod';
import { inputFiles } from '../../flow/flow-schemas.ts';
import { boolean, expected, oneOf, string, stringList, strictMap, text } from '../../flow/schema-kit.ts';
import type { TaskSlots } from '../descriptor.ts';

/** `namespaceFiles`: which of the namespace's files are copied into the working directory. */
export function namespaceFilesSchema() {
  return strictMap({
    enabled: boolean().default(true),
    include: stringList().default([]),
    exclude: stringList().default([]),
    /** The namespaces whose files are copied, in order; by default the flow's own. */
    namespaces: stringList().optional(),
    /** Each namespace's files go into a folder named after it, instead of all into the working directory. */
    folderPerNamespace: boolean().default(false),
  }, 'a map with enabled, include, exclude, namespaces and folderPerNamespace').optional();
}

function scriptCommon(slots: TaskSlots) {
  return {
    interpreter: stringList().min(1, { error: 'expected at least one word, like ["/bin/sh", "-c"]' }).default(['/bin/sh', '-c']),
    beforeCommands: stringList().default([]),
    failFast: boolean().default(true),
    env: z.record(z.string(), text(), { error: expected('a map of environment variables to strings') }).default({}),
    inputFiles: inputFiles().optional(),
    outputFiles: stringList().default([]),
    namespaceFiles: namespaceFilesSchema(),
    containerImage: string().optional(),
    taskRunner: slots.taskRunner,
    /** Kestra's deprecated way to pick a runner, before taskRunner: mapped onto one, with a warning. */
    runner: oneOf(['PROCESS', 'DOCKER'], (value) => value.toUpperCase()).optional(),
    /** The OS the commands are written for; Harrier's runners run Linux and POSIX shells. */
    targetOS: oneOf(['LINUX', 'WINDOWS', 'AUTO'], (value) => value.toUpperCase()).default('AUTO'),
    warningOnStdErr: boolean().default(true),
  };
}

/**
 * Python tasks only: packages to install before the script runs (Kestra installs them with uv or
 * pip, in a cached per-task environment), and through which tool.
 */
export function pythonProperties() {
  return {
    dependencies: stringList().default([]),
    packageManager: oneOf(['UV', 'PIP'], (value) => value.toUpperCase()).default('UV'),
    pythonVersion: text().optional(),
    dependencyCacheEnabled: boolean().default(true),
  };
}

export function commandsProperties(slots: TaskSlots) {
  return { ...scriptCommon(slots), commands: stringList() };
}

export function scriptProperties(slots: TaskSlots) {
  return { ...scriptCommon(slots), script: string() };
}

export function dbtProperties(slots: TaskSlots) {
  return {
    ...scriptCommon(slots),
    commands: stringList(),
    /** The content of a dbt profiles.yml, written next to the project. */
    profiles: string().optional(),
    projectDir: string().optional(),
  };
}

/** What any script variant's schema yields. */
export type ScriptProperties = z.output<z.ZodObject<ReturnType<typeof scriptCommon>>> & {
  commands?: string[];
  script?: string;
  profiles?: string;
  projectDir?: string;
} & Partial<z.output<z.ZodObject<ReturnType<typeof pythonProperties>>>>;
