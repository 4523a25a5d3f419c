import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadFlowFile } from '../../../src/flow/index.ts';
import { FlowValidationError, HarrierError } from '../../../src/shared/errors.ts';

test('loadFlowFile reads and parses a file, naming it in the flow source and in issues', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'harrier-flow-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.yaml');
  await writeFile(good, 'id: f\nnamespace: a\ntasks:\n  - id: t\n    type: Log\n    message: hi\n');
  const flow = await loadFlowFile(good);
  assert.deepEqual(flow.source, { file: good });
  assert.equal(flow.tasks[0].id, 't');

  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, 'id: f\nnamespace: a\ntasks:\n  - id: t\n    type: Lgo\n');
  await assert.rejects(loadFlowFile(bad), (error: unknown) => {
    assert.ok(error instanceof FlowValidationError);
    assert.equal(error.message, `${bad}:5:11: tasks[0].type: unknown task type 'Lgo' (did you mean 'Log'?)`);
    return true;
  });
});

test('a missing or unreadable flow file is a HarrierError that says what to do', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'harrier-flow-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const missing = join(dir, 'nope.yaml');
  await assert.rejects(loadFlowFile(missing), (error: unknown) => {
    assert.ok(error instanceof HarrierError);
    assert.ok(!(error instanceof FlowValidationError));
    assert.equal(error.userMessage(), `cannot read flow file ${missing}: no such file (give the path of a flow YAML file, relative to the current directory or absolute)`);
    return true;
  });
  await assert.rejects(loadFlowFile(dir), { message: `cannot read flow file ${dir}: it is a directory` });
});
