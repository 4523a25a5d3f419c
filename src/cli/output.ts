/**
 * `-o json|yaml` (and the older `--json`): commands that print data print it as one document in the
 * format asked for, and as text for people otherwise.
 */
import { Option } from 'commander';
import { BufferedWriter } from './terminal.ts';

export type OutputFormat = 'text' | 'json' | 'yaml';

export function outputOption(): Option {
  return new Option('-o, --output <format>', 'print one document in this format instead of text').choices(['json', 'yaml']);
}

export function jsonAliasOption(): Option {
  return new Option('--json', 'the same as -o json');
}

export function formatOf(options: { output?: string; json?: boolean }): OutputFormat {
  if (options.output === 'json' || options.output === 'yaml') return options.output;
  return options.json ? 'json' : 'text';
}

/**
 * The YAML writer, loaded only by a command that prints YAML. yaml is CommonJS: bundled, a dynamic
 * import of it yields its exports as `default`.
 */
export async function yamlText(): Promise<(value: unknown) => string> {
  const yaml = (await import('yaml')) as typeof import('yaml') & { default?: typeof import('yaml') };
  const stringify = yaml.stringify ?? yaml.default!.stringify;
  return (value) => stringify(value, { lineWidth: 0 }).replace(/\n$/, '');
}

/** The document as JSON (one line) or YAML. */
export async function documentText(format: 'json' | 'yaml', value: unknown): Promise<string> {
  return format === 'json' ? JSON.stringify(value) : (await yamlText())(value);
}

export async function printDocument(format: 'json' | 'yaml', value: unknown): Promise<void> {
  const out = new BufferedWriter(process.stdout);
  out.line(await documentText(format, value));
  await out.drain();
}
