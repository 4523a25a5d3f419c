import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isOwnerAlive, processStartOf, thisProcessOwner } from '../../../src/engine/ownership.ts';
import { SqliteStore } from '../../../src/store/index.ts';

const alive = () => true;
const dead = () => false;

test('claimExecution: a live owner keeps the execution, a dead one loses it, the owner itself may claim again', async () => {
  const store = await SqliteStore.open(mkdtempSync(join(tmpdir(), 'harrier-owner-')));
  try {
    const first = { pid: 101, processStart: '5', since: '2026-01-01T00:00:00.000Z' };
    const second = { pid: 202, processStart: '7', since: '2026-01-01T00:01:00.000Z' };
    assert.equal(await store.claimExecution('e1', first, alive), undefined);
    assert.equal(await store.claimExecution('e1', first, alive), undefined, 'the same owner again');
    assert.deepEqual(await store.claimExecution('e1', second, alive), first, 'a live owner is kept');
    assert.equal(await store.claimExecution('e1', second, dead), undefined, 'a dead owner is replaced');
    assert.deepEqual(await store.ownerOf('e1'), second);
    await store.releaseExecution('e1', first);
    assert.deepEqual(await store.ownerOf('e1'), second, 'only the owner gives it back');
    await store.releaseExecution('e1', second);
    assert.equal(await store.ownerOf('e1'), undefined);
  } finally {
    await store.close();
  }
});

test('isOwnerAlive: this process is, a pid with another start time or an ended process is not', async () => {
  const me = thisProcessOwner();
  assert.ok(me.processStart, 'Linux gives the start time');
  assert.equal(isOwnerAlive(me), true);
  assert.equal(isOwnerAlive({ ...me, processStart: `${me.processStart}0` }), false, 'pid reused by a later process');
  const child = spawn('true');
  await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(isOwnerAlive({ pid: child.pid!, processStart: undefined, since: me.since }), false);
  assert.equal(processStartOf(child.pid!), undefined);
});
