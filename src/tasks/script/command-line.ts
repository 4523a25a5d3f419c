import type { ScriptLanguage } from '../../flow/model.ts';

/** The program that runs a `script` task's file, per language. */
const SCRIPT_PROGRAMS: Record<ScriptLanguage, string> = {
  shell: '/bin/sh',
  python: 'python3',
  node: 'node',
  dbt: '/bin/sh',
};

const SCRIPT_EXTENSIONS: Record<ScriptLanguage, string> = { shell: 'sh', python: 'py', node: 'js', dbt: 'sh' };

export function scriptFileName(language: ScriptLanguage): string {
  return `.harrier/script.${SCRIPT_EXTENSIONS[language]}`;
}

export interface RenderedCommand {
  interpreter: string[];
  beforeCommands: string[];
  commands: string[];
  failFast: boolean;
}

/**
 * Kestra's command line: the interpreter, then one argument holding `set -e` (when failFast),
 * the beforeCommands and the commands, joined by newlines.
 */
export function buildCommandLine(rendered: RenderedCommand): string[] {
  const lines = [...rendered.beforeCommands, ...rendered.commands];
  const body = (rendered.failFast ? ['set -e', ...lines] : lines).join('\n');
  return [...rendered.interpreter, body];
}

/** The command that runs a `script` task's file, as it is seen from inside the runner. */
export function scriptCommand(language: ScriptLanguage, scriptPath: string): string {
  return `${SCRIPT_PROGRAMS[language]} ${shellQuote(scriptPath)}`;
}

export function shellQuote(value: string): string {
  return /^[\w./=:@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
