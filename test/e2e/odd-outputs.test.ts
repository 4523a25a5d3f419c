/**
 * Odd entries in the output folder, under every runner, through the `harrier` binary: a file named
 * `..\..\bs`, a symlink to /etc, a symlink pointing inside, and a hard link between two outputs.
 * The task exited 0, so it succeeds; each unsafe entry is left out with a warning naming it, and
 * every other file is kept. On Process, a hard link to a file outside the working directory is
 * stored as a copy, not as that inode.
 *
 * Kubernetes runs against every available backend: the simulator, and the real cluster when
 * `npm test` started one (HARRIER_TEST_REAL_CLUSTER names its kubeconfig).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dockerOrSkip } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { availableBackends, startBackend, type KubeBackend, kubeconfigFile } from '../support/kube-backends.ts';
import { flowFile, runJson, taskRun, tempStateDir } from '../support/harrier.ts';

const KEPT = ['f1.txt', 'f2.txt', 'f3.txt', 'f4.txt', 'f5.txt', 'f6.txt', 'same-as-f1.txt'];

/** With `outputFiles` the working directory is searched by pattern; without, only the output folder is read. */
function flow(runner: string, image: string, withGlobs: boolean, extraCommands: string[]): string {
  return flowFile(`id: odd_outputs
namespace: company.team
tasks:
  - id: odd
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${image}
    taskRunner:
${runner}
${withGlobs ? '    outputFiles: ["*.csv"]\n' : ''}    commands:
      - echo r > r.csv
      - for n in 1 2 3; do echo "file $n" > "$OUTPUT_DIR/f$n.txt"; done
      - echo odd > "$OUTPUT_DIR/..\\\\..\\\\bs"
      - ln -s /etc "$OUTPUT_DIR/etc"
      - ln -s f1.txt "$OUTPUT_DIR/inside-link"
      - for n in 4 5 6; do echo "file $n" > "$OUTPUT_DIR/f$n.txt"; done
      - ln "$OUTPUT_DIR/f1.txt" "$OUTPUT_DIR/same-as-f1.txt"
${extraCommands.map((command) => `      - ${command}`).join('\n')}
`);
}

async function checkRunner(runner: string, image: string, env: Record<string, string>, extraCommands: string[] = [], extraKept: string[] = []) {
  await checkVariant(runner, image, env, false, extraCommands, extraKept);
  return checkVariant(runner, image, env, true, extraCommands, [...extraKept, 'r.csv']);
}

async function checkVariant(runner: string, image: string, env: Record<string, string>, withGlobs: boolean, extraCommands: string[], extraKept: string[]) {
  const { doc, stderr, code } = await runJson(flow(runner, image, withGlobs, extraCommands), tempStateDir(), [], { env });
  assert.equal(code, 0, stderr);
  assert.equal(doc.state, 'SUCCESS', stderr);
  const odd = taskRun(doc, 'odd');
  assert.deepEqual(Object.keys(odd.outputFiles).sort(), [...KEPT, ...extraKept].sort(), stderr);
  for (const n of [1, 2, 3, 4, 5, 6]) assert.equal(readFileSync(odd.outputFiles[`f${n}.txt`].path, 'utf8'), `file ${n}\n`);
  assert.equal(readFileSync(odd.outputFiles['same-as-f1.txt'].path, 'utf8'), 'file 1\n');
  const warnings = stderr.split('\n').filter((line) => line.startsWith('[odd] WARN output')).sort();
  assert.deepEqual(warnings, [
    "[odd] WARN output file 'outputs/..\\..\\bs' is not kept: its name leads outside the working directory (an absolute path, or '..' with '/' or '\\' separators)",
    "[odd] WARN output 'outputs/etc' is not kept: it is a symbolic link to /etc, outside the working directory, and links are never followed",
  ].sort(), stderr);
  return odd;
}

test('Process: odd names and links in the output folder', async () => {
  const outsideDir = mkdtempSync(join(tmpdir(), 'harrier-outside-'));
  const outside = join(outsideDir, 'outside.txt');
  writeFileSync(outside, 'outside before\n');
  const odd = await checkRunner('      type: io.kestra.plugin.core.runner.Process', 'unused', {}, [`ln ${outside} "$OUTPUT_DIR/hard.txt"`], ['hard.txt']);
  const stored = odd.outputFiles['hard.txt'].path;
  assert.equal(readFileSync(stored, 'utf8'), 'outside before\n');
  assert.notEqual(statSync(stored).ino, statSync(outside).ino, 'stored as a copy, not as the outside inode');
  writeFileSync(outside, 'outside changed\n');
  assert.equal(readFileSync(stored, 'utf8'), 'outside before\n', 'the stored output does not change with the outside file');
});

test('Docker: odd names and links in the output folder', async (t) => {
  if (!dockerOrSkip(t)) return;
  await checkRunner('      type: io.kestra.plugin.scripts.runner.docker.Docker\n      pullPolicy: NEVER', ensureBusyboxImage(), {});
});

const backends: KubeBackend[] = [];
after(async () => {
  for (const backend of backends) await backend.stop();
});

for (const name of availableBackends()) {
  test(`Kubernetes (${name}): odd names and links in the output folder`, async () => {
    const backend = await startBackend(name);
    backends.push(backend);
    const kubeconfig = kubeconfigFile(backend);
    const image = ensureBusyboxImage();
    const runner = `      type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes\n      namespace: default\n      pullPolicy: IfNotPresent\n      fileSidecar:\n        image: ${image}`;
    await checkRunner(runner, image, { KUBECONFIG: kubeconfig });
  });
}
