import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEncrypted } from '../../../src/engine/encryption.ts';
import { Engine } from '../../../src/engine/index.ts';
import { parseFlow } from '../../../src/flow/parse.ts';

const SOURCE = `id: f
namespace: n
inputs:
  - id: password
    type: SECRET
  - id: note
    type: STRING
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: hi
`;

test('a SECRET input is stored encrypted; another engine on the state directory masks it in what it prints', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'harrier-engine-secrets-'));
  const engine = await Engine.open({ stateDir });
  const execution = await engine.createExecution({
    flow: parseFlow(SOURCE, 'f.yaml'), flowSource: SOURCE, flowFile: 'f.yaml',
    rawInputs: { password: 'hunter2-pass', note: 'says hunter2-pass' }, options: {},
  });
  const stored = (await engine.store.getExecution(execution.id))!;
  await engine.close();
  assert.ok(isEncrypted(stored.inputs.password));
  assert.doesNotMatch(JSON.stringify([stored.inputs.password, stored.options]), /hunter2/);
  assert.equal(stored.inputs.note, 'says hunter2-pass', 'other inputs are stored as given');

  const later = await Engine.open({ stateDir });
  try {
    assert.deepEqual(later.secretsFor(stored).redact({ inputs: stored.inputs }), { inputs: { password: '******', note: 'says ******' } });
  } finally {
    await later.close();
  }
});
