import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import Docker from 'dockerode';
import { dockerOrSkip } from '../support/docker.ts';
import { startKubeSim } from './index.ts';

test('a new sim removes what a killed sim left in Docker', async (t) => {
  if (!dockerOrSkip(t)) return;
  const docker = new Docker();
  const deadPid = spawnSync('true').pid!;
  const name = `kube-sim-deadbeef-${process.pid}-w`;
  await docker.createVolume({ Name: name, Labels: { 'harrier.sim': `dead${process.pid}`, 'harrier.sim.pid': String(deadPid) } });
  const sim = await startKubeSim();
  try {
    const { Volumes } = await docker.listVolumes({ filters: JSON.stringify({ name: [name] }) });
    assert.deepEqual((Volumes ?? []).map((v) => v.Name), []);
  } finally {
    await sim.stop();
  }
});
