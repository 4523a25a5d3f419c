import type { TaskBase } from '../../flow/model.ts';
import { either, isList, isText, oneOf, string, stringList } from '../../flow/schema-kit.ts';
import type { TaskDescriptor } from '../descriptor.ts';

export interface LogTask extends TaskBase {
  kind: 'log';
  message: string | string[];
  level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

export const logTask: TaskDescriptor<LogTask> = {
  kind: 'log',
  variants: [{
    types: [['io.kestra.plugin.core.log.Log', 'Log']],
    properties: () => ({
      message: either('a string or a list of strings', { accepts: isText, schema: string() }, { accepts: isList, schema: stringList() })
        .describe('The text to log, or a list of texts (one line each); expressions are rendered. Example: "Hello {{ inputs.name }}".'),
      level: oneOf(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'], 'any case').default('INFO').describe('The level of the logged lines.'),
    }),
  }],
  model: ({ properties }, common) => {
    const { message, level } = properties as Pick<LogTask, 'message' | 'level'>;
    return { ...common, kind: 'log', message, level };
  },
  load: async () => (await import('./log-task.ts')).runLogTask,
  attemptDir: false,
};
