import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TASK_TYPE_NAMES } from '../../src/flow/index.ts';
import { TRIGGERS } from '../../src/triggers/table.ts';
import { flowFile, harrier, REPO_ROOT, tempStateDir } from '../support/harrier.ts';
import { positionOf, YamlLanguageServer } from '../support/yaml-language-server.ts';

/**
 * `harrier schema` as an editor uses it: the real yaml-language-server (npm) over LSP on stdio,
 * configured with the schema the binary prints. What the editor flags must be what `harrier
 * validate` flags: nothing on the examples and seed flows, a typo'd property, an unknown word.
 */
const SEEDS_DIR = join(REPO_ROOT, 'test', 'unit', 'flow', 'fixtures');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

/** The seed documents' flows, as committed beside the flow tests (copied from ../shared/seeds, which CI may not have). */
function seedFlows(): Array<{ name: string; text: string }> {
  return readdirSync(SEEDS_DIR).filter((name) => /^seed-.*\.ya?ml$/.test(name)).sort()
    .map((name) => ({ name, text: readFileSync(join(SEEDS_DIR, name), 'utf8') }));
}

/** `harrier validate`'s located problems of a flow: 1-based line numbers. */
async function validatorLines(text: string): Promise<number[]> {
  const path = flowFile(text);
  const result = await harrier(['validate', path]);
  return [...result.stderr.matchAll(/:(\d+):\d+: /g)].map((match) => Number(match[1]));
}

describe('the editor schema in yaml-language-server', { concurrency: false }, () => {
  let server: YamlLanguageServer;

  before(async () => {
    const printed = await harrier(['schema']);
    assert.equal(printed.code, 0, printed.stderr);
    const schemaPath = join(tempStateDir('harrier-schema-'), 'harrier.schema.json');
    writeFileSync(schemaPath, printed.stdout);
    server = await YamlLanguageServer.start(schemaPath);
    // The schema is in force: an empty answer below must mean a clean flow, not an unchecked one.
    const { uri, diagnostics } = await server.open('probe.yaml', 'id: probe\nnamespace: company.team\ntasks: []\nunknownKey: 1\n');
    await server.close(uri);
    assert.ok(diagnostics.some((d) => String(d.message).includes('unknownKey')), `the schema is not applied: ${JSON.stringify(diagnostics)}\n${server.stderr}`);
  });

  after(async () => {
    await server?.stop();
  });

  async function diagnosticsOf(name: string, text: string): Promise<string[]> {
    const { uri, diagnostics } = await server.open(name, text);
    await server.close(uri);
    return diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`);
  }

  test('no diagnostics on any flow in examples/', async () => {
    const files = yamlFiles(join(REPO_ROOT, 'examples'));
    assert.ok(files.length >= 15, `${files.length} examples`);
    for (const file of files) {
      assert.deepEqual(await diagnosticsOf(relative(REPO_ROOT, file).replaceAll('/', '_'), readFileSync(file, 'utf8')), [], relative(REPO_ROOT, file));
    }
  });

  test('the seed flows: none where harrier validate accepts the flow (pullPolicy: ALWAYS included), and on each line it rejects', async () => {
    const seeds = seedFlows();
    assert.ok(seeds.length >= 8, `the seed flows in ${SEEDS_DIR}`);
    assert.ok(seeds.some(({ text }) => /pullPolicy: ALWAYS/.test(text)), 'a seed writes pullPolicy: ALWAYS');
    for (const { name, text } of seeds) {
      const rejected = await validatorLines(text);
      const flagged = await diagnosticsOf(name, text);
      if (rejected.length === 0) {
        assert.deepEqual(flagged, [], `${name}: harrier validate accepts it`);
      } else {
        const lines = new Set(flagged.map((line) => Number(line.split(':')[0])));
        for (const line of rejected) assert.ok(lines.has(line), `${name}: validate rejects line ${line}, the editor says ${JSON.stringify(flagged)}`);
      }
    }
  });

  test('a typo\'d property and an unknown word are diagnosed where they stand; other spellings of a word are not', async () => {
    const typo = 'id: typo\nnamespace: company.team\ntasks:\n  - id: hello\n    type: io.kestra.plugin.scripts.shell.Commands\n    comands:\n      - echo hi\n';
    const flagged = await diagnosticsOf('typo.yaml', typo);
    assert.ok(flagged.some((line) => /^6:5 Property comands is not allowed/.test(line)), JSON.stringify(flagged));
    assert.ok((await validatorLines(typo)).includes(6), 'harrier validate flags the same line');

    const runner = (policy: string): string => [
      'id: spellings', 'namespace: company.team', 'tasks:', '  - id: pod', '    type: io.kestra.plugin.scripts.shell.Commands',
      '    containerImage: busybox', '    commands: [echo hi]', '    taskRunner:', '      type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes',
      `      pullPolicy: ${policy}`, '  - id: log', '    type: io.kestra.plugin.core.log.Log', '    message: hi', `    level: warn`, '',
    ].join('\n');
    for (const policy of ['ALWAYS', 'Always', 'always', 'IF_NOT_PRESENT', 'IfNotPresent', 'never', '"{{ vars.policy }}"']) {
      assert.deepEqual(await diagnosticsOf(`policy-${policy.replace(/\W/g, '')}.yaml`, runner(policy)), [], `pullPolicy: ${policy}`);
      assert.deepEqual(await validatorLines(runner(policy)), [], `harrier validate accepts pullPolicy: ${policy}`);
    }
    const wrong = await diagnosticsOf('policy-wrong.yaml', runner('Sometimes'));
    assert.ok(wrong.some((line) => line.startsWith('10:19 ')), JSON.stringify(wrong));
    assert.deepEqual(await validatorLines(runner('Sometimes')), [10]);
  });

  test('completion lists every task type, also while a name is being typed and in nested tasks, and every trigger type', async () => {
    const labels = async (text: string, needle: string): Promise<string[]> => {
      const { uri } = await server.open('completion.yaml', text);
      try {
        return (await server.completion(uri, positionOf(text, needle, needle.length))).map((item) => item.label);
      } finally {
        await server.close(uri);
      }
    };
    const empty = await labels('id: c\nnamespace: company.team\ntasks:\n  - id: t\n    type: \n', 'type: ');
    assert.deepEqual([...empty].sort(), [...TASK_TYPE_NAMES].sort());
    for (const prefix of ['io.kestra.plugin.kub', 'io.kestra.plugin.scripts.', 'Par']) {
      const typing = await labels(`id: c\nnamespace: company.team\ntasks:\n  - id: t\n    type: ${prefix}\n`, `type: ${prefix}`);
      const expected = TASK_TYPE_NAMES.filter((name) => name.startsWith(prefix));
      assert.ok(expected.length > 0);
      for (const name of expected) assert.ok(typing.includes(name), `typing '${prefix}' offers ${name}: ${JSON.stringify(typing)}`);
    }
    const nested = await labels(
      'id: c\nnamespace: company.team\ntasks:\n  - id: p\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n      - id: child\n        type: \n',
      'child\n        type: ',
    );
    assert.deepEqual([...nested].sort(), [...TASK_TYPE_NAMES].sort());
    const triggers = await labels('id: c\nnamespace: company.team\ntasks:\n  - id: t\n    type: Log\n    message: hi\ntriggers:\n  - id: tr\n    type: \n', 'tr\n    type: ');
    assert.deepEqual([...triggers].sort(), TRIGGERS.flatMap((trigger) => trigger.types).sort());
  });

  test('hover shows the description of a task property, a runner property and a flow property', async () => {
    const text = [
      'id: hover', 'namespace: company.team', 'tasks:', '  - id: pod', '    type: io.kestra.plugin.scripts.shell.Commands',
      '    failFast: false', '    commands: [echo hi]', '    taskRunner:', '      type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes',
      '      namespace: jobs', '',
    ].join('\n');
    const { uri } = await server.open('hover.yaml', text);
    try {
      assert.match(await server.hover(uri, positionOf(text, 'failFast', 2)), /Stop at the first command that fails/);
      assert.match(await server.hover(uri, positionOf(text, '      namespace', 8)), /otherwise kubectl's rule: the kubeconfig context's namespace, else the in-cluster service account's/);
      assert.match(await server.hover(uri, positionOf(text, 'namespace: company', 2)), /The flow's namespace, dot-separated/);
    } finally {
      await server.close(uri);
    }
  });
});
