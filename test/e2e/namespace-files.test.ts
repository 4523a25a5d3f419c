import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowFile, runJson, tempStateDir } from '../support/harrier.ts';

test('namespaceFiles.namespaces copies each named namespace in order, folderPerNamespace into a folder per namespace', async () => {
  const stateDir = tempStateDir();
  for (const [namespace, content] of [['company', 'from company'], ['company.team', 'from team']]) {
    const folder = join(stateDir, 'namespace-files', namespace);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'shared.txt'), `${content}\n`);
  }
  const task = (id: string, folders: boolean, commands: string) => [
    `  - id: ${id}`,
    '    type: io.kestra.plugin.scripts.shell.Commands',
    `    namespaceFiles: { enabled: true, namespaces: [company, company.team], folderPerNamespace: ${folders} }`,
    `    commands: [${JSON.stringify(commands)}]`,
  ].join('\n');
  const flow = flowFile(['id: f', 'namespace: company.team', 'tasks:',
    task('merged', false, 'cat shared.txt'),
    task('folders', true, 'cat company/shared.txt company.team/shared.txt'), ''].join('\n'));
  const { doc, code, stderr } = await runJson(flow, stateDir);
  assert.equal(code, 0, stderr);
  assert.equal(doc.state, 'SUCCESS');
  assert.match(stderr, /\[merged\] from team/);
  assert.doesNotMatch(stderr, /\[merged\] from company/);
  assert.match(stderr, /\[folders\] from company\n.*\[folders\] from team/);
});
