import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dockerUnavailable } from '../support/docker.ts';
import { ensureBusyboxAlias, ensureBusyboxImage } from '../support/images.ts';
import { flowFile, harrier, runJson, tempStateDir } from '../support/harrier.ts';
import { runInTerminal, screenOf } from '../support/pty.ts';
import { startKubeSim, type KubeSim } from '../kube-sim/index.ts';

/**
 * Progress on a terminal (a real pseudo-terminal): a status line per running task that ticks and
 * is erased at the end; none of it, and no colour, in a pipe; FORCE_COLOR / NO_COLOR; timestamps;
 * `harrier logs` filters.
 */
const QUIET = flowFile([
  'id: quiet', 'namespace: company.team', 'tasks:',
  '  - id: silent', '    type: io.kestra.plugin.scripts.shell.Commands', '    commands:', '      - sleep 3', '      - echo done', '',
].join('\n'));

const STATUS = /… silent {2}\d+s {2}running/;
const COLOUR = /\x1b\[(?:3\d|9\d|1)m/;

test('on a terminal: a status line with the elapsed time ticks under the logs, and is erased before the summary', async () => {
  const run = await runInTerminal(['run', QUIET, '--state-dir', tempStateDir()]);
  assert.equal(run.code, 0, run.raw);
  const ticks = [...run.raw.matchAll(/… silent {2}(\d+)s {2}running/g)].map((match) => Number(match[1]));
  assert.ok(new Set(ticks).size >= 3 && ticks.every((tick, i) => i === 0 || tick >= ticks[i - 1]), `the clock ticks each second: ${JSON.stringify(ticks)}`);
  assert.match(run.raw, COLOUR, 'a terminal has colour');
  const screen = screenOf(run.raw);
  assert.deepEqual(screen.filter((line) => line.startsWith('…')), [], `no status line is left:\n${screen.join('\n')}`);
  assert.ok(screen.includes('[silent] done'), screen.join('\n'));
  assert.ok(screen.some((line) => /^Execution \S+ SUCCESS/.test(line)), screen.join('\n'));
});

test('NO_COLOR on a terminal: the status line without colour', async () => {
  const run = await runInTerminal(['run', QUIET, '--state-dir', tempStateDir()], { NO_COLOR: '1' });
  assert.equal(run.code, 0, run.raw);
  assert.match(run.raw, STATUS);
  assert.doesNotMatch(run.raw, COLOUR);
});

test('in a pipe: no status line and no escape at all; FORCE_COLOR brings colour, never the status line', async () => {
  const piped = await harrier(['run', QUIET, '--state-dir', tempStateDir()]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stdout + piped.stderr, /…|\x1b/);
  const forced = await harrier(['run', QUIET, '--state-dir', tempStateDir()], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /\x1b\[32mSUCCESS\x1b\[0m/);
  assert.doesNotMatch(forced.stdout + forced.stderr, /…|\x1b\[2K|\x1b\[1A/);
});

test('--timestamps on run and logs; logs --tail, --level and --since', async () => {
  const stateDir = tempStateDir();
  const flow = flowFile([
    'id: levels', 'namespace: company.team', 'tasks:',
    '  - id: lines', '    type: io.kestra.plugin.scripts.shell.Commands', '    commands:', '      - for i in 1 2 3 4 5; do echo "line $i"; done',
    '  - id: warn', '    type: io.kestra.plugin.core.log.Log', '    level: WARN', '    message: careful',
    '  - id: error', '    type: io.kestra.plugin.core.log.Log', '    level: ERROR', '    message: broken', '',
  ].join('\n'));
  const stamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;
  const run = await harrier(['run', flow, '--state-dir', stateDir, '--timestamps']);
  assert.equal(run.code, 0, run.stderr);
  const lineFive = run.stdout.split('\n').find((line) => line.endsWith('[lines] line 5'));
  assert.match(lineFive ?? '', stamp);
  const id = /Execution (\S+) started/.exec(run.stderr)![1];
  const logs = async (...args: string[]): Promise<string[]> => {
    const result = await harrier(['logs', id, '--state-dir', stateDir, ...args]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.split('\n').filter((line) => line !== '');
  };
  assert.deepEqual(await logs('--task', 'lines', '--tail', '2'), ['[lines] line 4', '[lines] line 5']);
  assert.deepEqual(await logs('--level', 'warn'), ['[warn] WARN careful', '[error] ERROR broken']);
  assert.deepEqual(await logs('--level', 'ERROR', '--tail', '1'), ['[error] ERROR broken']);
  assert.deepEqual(await logs('--since', '2999-01-01T00:00:00Z'), []);
  assert.ok((await logs('--since', '1h')).includes('[lines] line 3'));
  const stamped = await logs('--timestamps', '--task', 'lines', '--tail', '1');
  assert.match(stamped[0], new RegExp(`${stamp.source}\\[lines\\] line 5$`));
  const bad = await harrier(['logs', id, '--state-dir', stateDir, '--since', 'yesterday']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /--since 'yesterday' is neither a time ago/);
});

const unavailable = dockerUnavailable();
if (unavailable) console.log(`# SKIPPED (pod progress on a terminal): ${unavailable}`);

test('a Docker container\'s steps on a terminal: creating the container, the input files sent, running', { skip: unavailable }, async () => {
  const data = join(tempStateDir('harrier-progress-data-'), 'data.bin');
  writeFileSync(data, Buffer.alloc(4 * 1024 * 1024, 7));
  const flow = flowFile([
    'id: container_progress', 'namespace: company.team', 'inputs:', '  - id: data', '    type: FILE', 'tasks:',
    '  - id: box', '    type: io.kestra.plugin.scripts.shell.Commands', `    containerImage: ${ensureBusyboxImage()}`,
    '    taskRunner:', '      type: io.kestra.plugin.scripts.runner.docker.Docker', '      pullPolicy: NEVER',
    '    inputFiles:', '      data.bin: "{{ inputs.data }}"', '    commands:', '      - sleep 2', '',
  ].join('\n'));
  const run = await runInTerminal(['run', flow, '--state-dir', tempStateDir(), '--input', `data=@${data}`], { NO_COLOR: '1' });
  assert.equal(run.code, 0, run.raw);
  assert.match(run.raw, /… box {2}\d+s {2}Pending: creating the container/);
  assert.match(run.raw, /… box {2}\d+s {2}sending input files: [\d.]+ (?:B|KiB|MiB)/);
  assert.match(run.raw, /… box {2}\d+s {2}Running/);
  assert.deepEqual(screenOf(run.raw).filter((line) => line.startsWith('…')), []);
});

describe('pod progress on a terminal (simulator)', { skip: unavailable }, () => {
  let sim: KubeSim;
  let kubeconfig = '';

  before(async () => {
    ensureBusyboxAlias();
    sim = await startKubeSim();
    kubeconfig = join(tempStateDir('harrier-progress-kube-'), 'config');
    writeFileSync(kubeconfig, sim.kubeconfig);
  });

  after(async () => {
    await sim?.stop();
  });

  test('the pod\'s phase and reason, then the bytes and rate of the input and output files', async () => {
    const data = join(tempStateDir('harrier-progress-data-'), 'data.bin');
    writeFileSync(data, Buffer.alloc(16 * 1024 * 1024, 7));
    const flow = flowFile([
      'id: pod_progress', 'namespace: company.team', 'inputs:', '  - id: data', '    type: FILE', 'tasks:',
      '  - id: pod', '    type: io.kestra.plugin.scripts.shell.Commands', `    containerImage: ${ensureBusyboxImage()}`,
      '    taskRunner:', '      type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes', '      pullPolicy: IF_NOT_PRESENT',
      '    inputFiles:', '      data.bin: "{{ inputs.data }}"', '    outputFiles: ["out.bin"]',
      '    commands:', '      - sleep 2', '      - cp data.bin out.bin', '',
    ].join('\n'));
    const run = await runInTerminal(['run', flow, '--state-dir', tempStateDir(), '--input', `data=@${data}`, '--kubeconfig', kubeconfig], { NO_COLOR: '1' });
    assert.equal(run.code, 0, run.raw);
    assert.match(run.raw, /… pod {2}\d+s {2}Pending: (?:PodInitializing|ContainerCreating|init-files running)/);
    assert.match(run.raw, /… pod {2}\d+s {2}Running/);
    assert.match(run.raw, /… pod {2}\d+s {2}sending input files: [\d.]+ (?:KiB|MiB)( at [\d.]+ (?:B|KiB|MiB|GiB)\/s)?/);
    assert.match(run.raw, /… pod {2}\d+s {2}collecting output files: [\d.]+ (?:KiB|MiB)/);
    assert.deepEqual(screenOf(run.raw).filter((line) => line.startsWith('…')), []);
    // The same run in a pipe says nothing of it.
    const piped = await runJson(flow, tempStateDir(), ['--input', `data=@${data}`, '--kubeconfig', kubeconfig]);
    assert.equal(piped.doc.state, 'SUCCESS', piped.stderr);
    assert.doesNotMatch(piped.stderr, /…|Pending:|sending input files/);
  });
});
