import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowFile, runJson, tempStateDir } from '../support/harrier.ts';

test('a FILE input written into a command is a readable file there (Kestra copies storage URIs into the working directory)', async () => {
  const stateDir = tempStateDir();
  const input = join(stateDir, 'input.txt');
  writeFileSync(input, 'from the input file\n');
  const flow = flowFile([
    'id: f', 'namespace: company.team',
    'inputs: [{ id: text_file, type: FILE }]',
    'tasks:',
    '  - id: read_file',
    '    type: io.kestra.plugin.scripts.shell.Commands',
    '    commands: [\'cat "{{ inputs.text_file }}"\']',
    '',
  ].join('\n'));
  const { doc, code, stderr } = await runJson(flow, stateDir, ['--input', `text_file=@${input}`]);
  assert.equal(code, 0, stderr);
  assert.equal(doc.state, 'SUCCESS');
  assert.match(stderr, /\[read_file\] from the input file/);
});
