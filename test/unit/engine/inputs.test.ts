import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInputs } from '../../../src/engine/inputs.ts';
import type { Flow, InputDef } from '../../../src/flow/model.ts';
import { InputError } from '../../../src/shared/errors.ts';

function flowWith(inputs: Partial<InputDef>[]): Flow {
  return { id: 'f', namespace: 'n', inputs: inputs.map((input) => ({ required: true, ...input })) } as unknown as Flow;
}

test('command-line text becomes typed values; defaults fill what was not given', async () => {
  const flow = flowWith([
    { id: 'i', type: 'INT' }, { id: 'f', type: 'FLOAT' }, { id: 'b', type: 'BOOLEAN' }, { id: 'd', type: 'DATETIME' },
    { id: 'j', type: 'JSON' }, { id: 'y', type: 'YAML' }, { id: 'a', type: 'ARRAY' }, { id: 'm', type: 'MULTISELECT', values: ['x', 'y', 'z'] },
    { id: 'e', type: 'ENUM', values: ['dev', 'prod'] }, { id: 's', type: 'SECRET' }, { id: 'dur', type: 'DURATION' },
    { id: 'def', type: 'INT', defaults: 7 }, { id: 'opt', type: 'STRING', required: false },
  ]);
  const resolved = await resolveInputs(flow, {
    i: ' 42 ', f: '2.5', b: 'true', d: '2024-01-31T10:00:00+01:00', j: '{"a":[1]}', y: 'a: 1', a: 'p, q', m: '["x","z"]',
    e: 'prod', s: 'hunter2', dur: 'PT5M',
  });
  assert.deepEqual(resolved.values, {
    i: 42, f: 2.5, b: true, d: '2024-01-31T09:00:00.000Z', j: { a: [1] }, y: { a: 1 }, a: ['p', 'q'], m: ['x', 'z'],
    e: 'prod', s: 'hunter2', dur: 'PT5M', def: 7,
  });
});

test('the same checks as harrier validate, each a one-line InputError naming the input and how to pass it', async () => {
  const cases: [Partial<InputDef>, string, RegExp][] = [
    [{ type: 'INT' }, 'many', /input 'v': expected an integer, got 'many'/],
    [{ type: 'FLOAT' }, 'x', /expected a number/],
    [{ type: 'BOOLEAN' }, 'yes', /expected true or false/],
    [{ type: 'DATETIME' }, '31/01/2024', /expected an ISO-8601 date-time/],
    [{ type: 'TIME' }, '25:00', /expected a time like 13:45:00/],
    [{ type: 'DURATION' }, '5 minutes', /expected an ISO-8601 duration like PT5M/],
    [{ type: 'JSON' }, '{nope', /expected JSON text/],
    [{ type: 'ENUM', values: ['dev', 'prod'] }, 'test', /expected one of dev, prod/],
    [{ type: 'MULTISELECT', values: ['x'] }, 'x,w', /expected a list of values among x/],
    [{ type: 'EMAIL' }, 'nobody', /expected an email address/],
    [{ type: 'URI' }, 'not a uri', /expected a URI/],
  ];
  for (const [input, given, message] of cases) {
    await assert.rejects(resolveInputs(flowWith([{ id: 'v', ...input }]), { v: given }), (error: Error) => {
      assert.ok(error instanceof InputError, String(error));
      assert.match(error.message, message);
      assert.match(error.hint ?? '', /--input v=/);
      return true;
    });
  }
});

test('FILE inputs must name a readable file; unknown and missing inputs are named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-inputs-'));
  writeFileSync(join(dir, 'data.csv'), 'a,b\n');
  const flow = flowWith([{ id: 'file', type: 'FILE' }]);
  const resolved = await resolveInputs(flow, { file: `@${join(dir, 'data.csv')}` });
  assert.deepEqual(resolved.files, [{ inputId: 'file', path: join(dir, 'data.csv'), fileName: 'data.csv' }]);
  await assert.rejects(resolveInputs(flow, { file: join(dir, 'missing.csv') }), /input 'file': no readable file at/);
  await assert.rejects(resolveInputs(flow, { fiel: 'x' }), /unknown input 'fiel'/);
  await assert.rejects(resolveInputs(flow, {}), /missing required input 'file' \(FILE\)/);
});
