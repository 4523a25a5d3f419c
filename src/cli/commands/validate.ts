import { flowJsonSchema } from '../../flow/index.ts';
import { FlowValidationError, HarrierError, type FlowIssue } from '../../shared/errors.ts';
import { formatOf, printDocument } from '../output.ts';
import { readFlowFile } from './run.ts';

interface Validated {
  file: string;
  valid: boolean;
  flow?: { namespace: string; id: string; tasks: number };
  problems: Omit<FlowIssue, 'file'>[];
  warnings: Omit<FlowIssue, 'file'>[];
}

/** `harrier validate FLOW...`: every problem of every file, then exit 2 if any. */
export async function validateCommand(files: string[], options: { output?: string; json?: boolean }): Promise<number> {
  const format = formatOf(options);
  const results: Validated[] = [];
  for (const file of files) {
    try {
      const { flow } = await readFlowFile(file, { quiet: format !== 'text' });
      const warnings = flow.warnings.map(({ file: _file, ...issue }) => issue);
      results.push({ file, valid: true, flow: { namespace: flow.namespace, id: flow.id, tasks: flow.tasks.length }, problems: [], warnings });
      if (format === 'text') process.stdout.write(`${file}: ok (flow ${flow.namespace}.${flow.id}, ${flow.tasks.length} task${flow.tasks.length === 1 ? '' : 's'})\n`);
    } catch (error) {
      if (!(error instanceof HarrierError)) throw error;
      const problems = error instanceof FlowValidationError
        ? error.issues.map(({ file: _file, ...issue }) => issue)
        : [{ line: 0, column: 0, path: '', message: error.userMessage() }];
      results.push({ file, valid: false, problems, warnings: [] });
      if (format === 'text') process.stderr.write(`${error.userMessage()}\n`);
    }
  }
  if (format !== 'text') await printDocument(format, results);
  return results.every((result) => result.valid) ? 0 : 2;
}

export async function schemaCommand(options: { output?: string }): Promise<number> {
  const format = formatOf(options);
  if (format === 'yaml') await printDocument('yaml', flowJsonSchema());
  else process.stdout.write(`${JSON.stringify(flowJsonSchema(), null, 2)}\n`);
  return 0;
}
