import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { isOwnerAlive, processStartOf, thisProcessOwner } from '../../../src/engine/ownership.ts';

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
