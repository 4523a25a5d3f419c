/** `harrier run|executions|logs|resume --server URL` (and HARRIER_SERVER) against a real `harrier server`. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { flowFile, harrier, startHarrier, tempStateDir, waitForOutput } from '../support/harrier.ts';
import { startServerProcess, type ServerProcess } from '../support/server.ts';

let server: ServerProcess;
before(async () => {
  server = await startServerProcess({ args: ['--workers', '1'] });
});
after(async () => {
  await server.stop();
});

const FLOW = flowFile(`id: remote
namespace: company.team
inputs:
  - id: who
    type: STRING
  - id: data
    type: FILE
tasks:
  - id: greet
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo hello {{ inputs.who }}
      - cat "{{ inputs.data }}"
`);

test('run --server deploys the flow, uploads the FILE input, streams the logs and exits with the state', async () => {
  const data = join(tempStateDir(), 'data.txt');
  writeFileSync(data, 'from a local file\n');
  const result = await harrier(['run', FLOW, '--server', server.url, '--input', 'who=Ada', '--input', `data=@${data}`, '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^Execution (\S+) started \(flow company\.team\.remote revision \d+, server http/m);
  assert.match(result.stderr, /^\[greet\] hello Ada$/m);
  assert.match(result.stderr, /^\[greet\] from a local file$/m);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.state.current, 'SUCCESS');

  const listed = await harrier(['executions', '--json'], { env: { HARRIER_SERVER: server.url } });
  assert.ok(JSON.parse(listed.stdout).some((execution: { id: string }) => execution.id === doc.id));
  const logs = await harrier(['logs', doc.id, '--server', server.url, '--task', 'greet']);
  assert.match(logs.stdout, /^\[greet\] hello Ada$/m);
  const resumed = await harrier(['resume', doc.id, '--server', server.url]);
  assert.equal(resumed.code, 0);
  assert.match(resumed.stdout, new RegExp(`Execution ${doc.id} SUCCESS`));
});

test('a failing execution exits 1; a missing input is the server\'s one-line answer (exit 2); no server is one line too', async () => {
  const failing = flowFile('id: failing\nnamespace: company.team\ntasks:\n  - id: boom\n    type: io.kestra.plugin.scripts.shell.Commands\n    taskRunner:\n      type: io.kestra.plugin.core.runner.Process\n    commands:\n      - exit 3\n');
  assert.equal((await harrier(['run', failing, '--server', server.url])).code, 1);
  const missing = await harrier(['run', FLOW, '--server', server.url, '--input', 'who=Ada']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error: .*input 'data'/m);
  const nobody = await harrier(['executions', '--server', 'http://127.0.0.1:9']);
  assert.equal(nobody.code, 1);
  assert.match(nobody.stderr, /^error: no harrier server answers at http:\/\/127\.0\.0\.1:9/m);
});

test('kill --server kills the execution in the server\'s slot, and -o yaml prints the killed execution', async () => {
  const sleepy = flowFile('id: sleepy\nnamespace: company.team\ntasks:\n  - id: nap\n    type: io.kestra.plugin.core.flow.Sleep\n    duration: PT5M\n', 'sleepy.yaml');
  const run = startHarrier(['run', sleepy, '--server', server.url]);
  const started = await waitForOutput(run, /Execution (\S+) started/);
  const id = /Execution (\S+) started/.exec(started)![1];
  const killed = await harrier(['kill', id, '-o', 'yaml'], { env: { HARRIER_SERVER: server.url } });
  assert.equal(killed.code, 0, killed.stderr);
  assert.match(killed.stdout, /^ {2}current: KILLED$/m);
  assert.equal((await run.result).code, 1);
});

test('run --server deploys the subflows `harrier run` would find next to the flow, so the same files run on the server; a second run makes no new revision', async () => {
  const parent = flowFile(`id: remote_parent
namespace: company.team
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [1]
    tasks:
      - id: call
        type: io.kestra.plugin.core.flow.Subflow
        namespace: company.team
        flowId: remote_child
`, 'parent.yaml');
  writeFileSync(join(dirname(parent), 'child.yaml'), `id: remote_child
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: remote_grandchild
  - id: elsewhere
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: "{{ 'remote_' ~ 'grandchild' }}"
`);
  writeFileSync(join(dirname(parent), 'grandchild.yaml'), 'id: remote_grandchild\nnamespace: company.team\ntasks:\n  - {id: hi, type: io.kestra.plugin.core.log.Log, message: from the grandchild}\n');
  const result = await harrier(['run', parent, '--server', server.url, '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).state.current, 'SUCCESS');
  const deployed = [...result.stderr.matchAll(/^Subflow (\S+) deployed from (\S+) \(revision (\d+)\)$/gm)].map((match) => [match[1], basename(match[2]), match[3]]);
  assert.deepEqual(deployed, [['company.team.remote_child', 'child.yaml', '1'], ['company.team.remote_grandchild', 'grandchild.yaml', '1']]);
  const again = await harrier(['run', parent, '--server', server.url]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /^Subflow company\.team\.remote_child deployed from \S+ \(revision 1\)$/m, 'unchanged: no new revision');
  assert.match(again.stderr, /revision 1, server http/);
});
