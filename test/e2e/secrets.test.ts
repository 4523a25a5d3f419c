import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KEY_FILE_NAME } from '../../src/engine/encryption.ts';
import { dockerOrSkip } from '../support/docker.ts';
import { flowFile, harrier, runJson, startHarrier, taskRun, tempStateDir, waitForOutput } from '../support/harrier.ts';

const TOKEN = 'tok-3x4mple-v4lue';
const PASSWORD = 'hunter2-passw0rd';
const MULTI = 'first-line-of-key\nsecond-line-of-key';
const OTHER = 'other-s3cret-value';
const base64 = (text: string): string => Buffer.from(text).toString('base64');
const SECRET_ENV = { SECRET_TOKEN: base64(TOKEN), SECRET_MULTI: base64(MULTI), SECRET_OTHER: base64(OTHER) };

/** Every clear form a leak could take: the values, each line, and what expressions derive from them. */
const CLEAR = [TOKEN, TOKEN.toUpperCase(), base64(TOKEN), OTHER, PASSWORD, PASSWORD.toUpperCase(), 'first-line-of-key', 'second-line-of-key'];

/** The clear values found in any file of the state directory but the key (the database, its WAL, stored files). */
function clearValuesInStore(stateDir: string): string[] {
  const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name === KEY_FILE_NAME ? [] : [path];
  });
  const bytes = files(stateDir).map((path) => readFileSync(path).toString('latin1'));
  return CLEAR.filter((value) => bytes.some((content) => content.includes(value)));
}

function leaked(text: string): string[] {
  return CLEAR.filter((value) => text.includes(value));
}

/** Runs a flow with the secrets set and checks it succeeds and leaks nothing in the document, the logs or the store. */
async function runWithoutLeaks(flow: string, args: string[] = []): Promise<Awaited<ReturnType<typeof runJson>> & { stateDir: string }> {
  const stateDir = tempStateDir();
  const result = await runJson(flow, stateDir, args, { env: SECRET_ENV });
  assert.equal(result.doc.state, 'SUCCESS', result.stderr);
  assert.deepEqual(leaked(result.stdout), [], 'the --json document');
  assert.deepEqual(leaked(result.stderr), [], 'the live logs');
  const logs = await harrier(['logs', result.doc.id, '--all', '--state-dir', stateDir]);
  assert.deepEqual(leaked(logs.stdout), [], 'the stored logs, protocol lines included');
  assert.deepEqual(clearValuesInStore(stateDir), [], 'the store');
  return { ...result, stateDir };
}

test('a task output that holds a secret is masked in --json and encrypted in the store; the next task gets it in clear', async () => {
  const marker = mkdtempSync(join(tmpdir(), 'harrier-secrets-seen-'));
  const flow = flowFile(`id: secret_output
namespace: test
tasks:
  - id: t1
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      TOKEN: "{{ secret('TOKEN') }}"
    commands:
      - echo "::{\\"outputs\\":{\\"x\\":\\"$TOKEN\\",\\"url\\":\\"https://me:$TOKEN@host\\"}}::"
  - id: t2
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - printf '%s' '{{ outputs.t1.vars.x }}' > ${marker}/seen
`);
  const result = await runWithoutLeaks(flow);
  assert.equal(taskRun(result.doc, 't1').outputs.vars.x, '******');
  assert.equal(taskRun(result.doc, 't1').outputs.vars.url, '******');
  assert.equal(readFileSync(join(marker, 'seen'), 'utf8'), TOKEN);
  assert.equal(statSync(join(result.stateDir, KEY_FILE_NAME)).mode & 0o777, 0o600, 'the key that encrypts it is private');
});

test('a SECRET input is masked in --json and the logs and stored encrypted; tasks get it in clear', async () => {
  const marker = mkdtempSync(join(tmpdir(), 'harrier-secrets-seen-'));
  const flow = flowFile(`id: secret_input
namespace: test
inputs:
  - id: password
    type: SECRET
tasks:
  - id: t1
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "input {{ inputs.password }}"
      - printf '%s' '{{ inputs.password }}' > ${marker}/seen
`);
  const result = await runWithoutLeaks(flow, ['--input', `password=${PASSWORD}`]);
  assert.deepEqual((result.doc as unknown as { inputs: Record<string, unknown> }).inputs, { password: '******' });
  assert.match(result.stderr, /\[t1\] input \*{6}/);
  assert.equal(readFileSync(join(marker, 'seen'), 'utf8'), PASSWORD);
});

test('both lines of a multi-line secret are masked', async () => {
  const flow = flowFile(`id: secret_lines
namespace: test
tasks:
  - id: t1
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      KEY: "{{ secret('MULTI') }}"
    commands:
      - printf '%s\\n' "$KEY"
`);
  const result = await runWithoutLeaks(flow);
  assert.match(result.stderr, /\[t1\] \*{6}\n\[t1\] \*{6}\n/);
});

test('values that filters derive from a secret or a SECRET input are masked', async () => {
  const flow = flowFile(`id: secret_filters
namespace: test
inputs:
  - id: password
    type: SECRET
tasks:
  - id: t1
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "upper {{ secret('TOKEN') | upper }} base64 {{ secret('TOKEN') | base64encode }} input {{ inputs.password | upper }}"
`);
  const result = await runWithoutLeaks(flow, ['--input', `password=${PASSWORD}`]);
  assert.match(result.stderr, /\[t1\] upper \*{6} base64 \*{6} input \*{6}/);
});

test('an error built from a secret is masked in the Errors: summary, the --json error and the store', async () => {
  const flow = flowFile(`id: secret_error
namespace: test
tasks:
  - id: bad
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["../{{ secret('TOKEN') | lower }}-img"]
    commands: ["true"]
`);
  const stateDir = tempStateDir();
  const plain = await harrier(['run', flow, '--state-dir', stateDir], { env: SECRET_ENV });
  assert.equal(plain.code, 1);
  assert.match(plain.stdout, /Errors:\n {2}bad: .*'\.\.\/\*{6}-img' reaches outside the working directory/);
  assert.deepEqual(leaked(plain.stdout + plain.stderr), []);
  const json = await runJson(flow, stateDir, [], { env: SECRET_ENV });
  assert.match(taskRun(json.doc, 'bad').attempts[0].error ?? '', /'\.\.\/\*{6}-img' reaches outside/);
  assert.deepEqual(leaked(json.stdout + json.stderr), []);
  assert.deepEqual(clearValuesInStore(stateDir), []);
});

test('an image name built from a secret is masked in the Docker runner\'s error', async (t) => {
  if (!dockerOrSkip(t)) return;
  const flow = flowFile(`id: secret_image
namespace: test
tasks:
  - id: pull
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: "registry.invalid/{{ secret('TOKEN') }}:1"
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
      pullPolicy: NEVER
    commands: ["true"]
`);
  const stateDir = tempStateDir();
  const result = await runJson(flow, stateDir, [], { env: SECRET_ENV });
  assert.equal(result.doc.state, 'FAILED', result.stderr);
  assert.match(taskRun(result.doc, 'pull').attempts[0].error ?? '', /image registry\.invalid\/\*{6}:1 is not on the Docker engine/);
  assert.deepEqual(leaked(result.stdout + result.stderr), []);
  assert.deepEqual(clearValuesInStore(stateDir), []);
});

test('after SIGKILL and resume, a later task that prints an earlier secret output still shows it masked', async () => {
  const marker = mkdtempSync(join(tmpdir(), 'harrier-secrets-marker-'));
  const flow = flowFile(`id: secret_resume
namespace: test
tasks:
  - id: t1
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      TOKEN: "{{ secret('TOKEN') }}"
      OTHER: "{{ secret('OTHER') }}"
    commands:
      - echo "::{\\"outputs\\":{\\"x\\":\\"$TOKEN\\"}}::"
      - printf 'from a file %s\\n' "$OTHER" > ${marker}/other
  - id: t2
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - test -f ${marker}/crashed || { touch ${marker}/crashed; echo waiting; sleep 60; }
  - id: t3
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "later {{ outputs.t1.vars.x }}"
      - cat ${marker}/other
      - test "{{ outputs.t1.vars.x }}" = "$EXPECTED"
`);
  const stateDir = tempStateDir();
  const env = { ...SECRET_ENV, EXPECTED: TOKEN };
  const child = startHarrier(['run', flow, '--state-dir', stateDir], { env });
  const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
  await waitForOutput(child, /\[t2\] waiting/);
  child.kill('SIGKILL');
  await child.result;
  const storedBeforeResume = clearValuesInStore(stateDir);

  const resumed = await harrier(['resume', id, '--json', '--state-dir', stateDir], { env });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).state, 'SUCCESS', 'the resumed task got the clear output');
  assert.match(resumed.stderr, /\[t3\] later \*{6}/);
  assert.match(resumed.stderr, /\[t3\] from a file \*{6}/, 'a secret that reaches the task outside expressions: masked by the name stored with the execution');
  assert.deepEqual(leaked(resumed.stdout + resumed.stderr), []);
  assert.deepEqual(leaked((await harrier(['logs', id, '--state-dir', stateDir])).stdout), []);
  assert.deepEqual(storedBeforeResume, [], 'the store, before the resume');
  assert.deepEqual(clearValuesInStore(stateDir), [], 'the store, after the resume');
});
