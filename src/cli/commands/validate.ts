import { flowJsonSchema } from '../../flow/index.ts';
import { FlowValidationError, HarrierError } from '../../shared/errors.ts';
import { readFlowFile } from './run.ts';

/** `harrier validate FLOW...`: every problem of every file, then exit 2 if any. */
export async function validateCommand(files: string[]): Promise<number> {
  let invalid = 0;
  for (const file of files) {
    try {
      const { flow } = await readFlowFile(file);
      process.stdout.write(`${file}: ok (flow ${flow.namespace}.${flow.id}, ${flow.tasks.length} task${flow.tasks.length === 1 ? '' : 's'})\n`);
    } catch (error) {
      if (!(error instanceof FlowValidationError) && !(error instanceof HarrierError)) throw error;
      invalid++;
      process.stderr.write(`${error.userMessage()}\n`);
    }
  }
  return invalid > 0 ? 2 : 0;
}

export function schemaCommand(): number {
  process.stdout.write(`${JSON.stringify(flowJsonSchema(), null, 2)}\n`);
  return 0;
}
