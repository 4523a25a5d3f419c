import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { dockerOrSkip } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';

test('the CLI writes the kubeconfig, prints one line, and removes its Docker objects on SIGTERM', async (t) => {
  if (!dockerOrSkip(t)) return;
  const image = ensureBusyboxImage();
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-cli-'));
  const file = join(dir, 'kubeconfig');
  const child = spawn(process.execPath, ['test/kube-sim/main.ts', '--kubeconfig', file, '--namespace', 'cli'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      child.once('exit', (code) => reject(new Error(`kube-sim exited with ${code}`)));
    });
    assert.match(line, new RegExp(`^kube-sim ready at https://127\\.0\\.0\\.1:\\d+; kubeconfig written to ${file}\\n$`));
    assert.match(readFileSync(file, 'utf8'), /certificate-authority-data: \S+/);
    const run = (args: string[]) => new Promise<number | null>((resolve) => spawn('/usr/bin/kubectl', ['--kubeconfig', file, ...args], { stdio: 'ignore' }).on('close', resolve));
    assert.equal(await run(['-n', 'cli', 'run', 'cli-pod', `--image=${image}`, '--restart=Never', '--command', '--', 'sleep', '600']), 0);
    assert.equal(await run(['-n', 'cli', 'wait', '--for=condition=Ready', 'pod/cli-pod', '--timeout=60s']), 0);
    const docker = new Docker();
    const filters = JSON.stringify({ label: ['harrier.sim.pod=cli.cli-pod'] });
    assert.ok((await docker.listContainers({ all: true, filters })).length >= 2);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    assert.deepEqual(await docker.listContainers({ all: true, filters }), []);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
