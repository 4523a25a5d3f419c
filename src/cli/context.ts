import { resolve } from 'node:path';
import { UsageError } from '../shared/errors.ts';

export const DEFAULT_STATE_DIR = '.harrier';

export function stateDirOf(options: { stateDir?: string }): string {
  return resolve(options.stateDir ?? process.env.HARRIER_STATE_DIR ?? DEFAULT_STATE_DIR);
}

/** `--input k=v` (repeatable) into a map; `k=@path` is kept as is for FILE inputs. */
export function parseInputOptions(values: string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals <= 0) throw new UsageError(`--input '${value}' must look like name=value (or name=@file for a FILE input)`);
    inputs[value.slice(0, equals)] = value.slice(equals + 1);
  }
  return inputs;
}
