import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createOutputMatcher, listOutputFiles, matchesOutput } from '../../../src/runners/shared/output-match.ts';

describe('matchesOutput', () => {
  const cases: Array<[string, string[], boolean]> = [
    ['out/a.txt', [], true],
    ['out/deep/b.bin', [], true],
    ['outside.txt', [], false],
    ['output/a.txt', [], false],
    ['result.csv', ['*.csv'], true],
    ['sub/result.csv', ['*.csv'], false],
    ['sub/result.csv', ['**/*.csv'], true],
    ['result.csv', ['**/*.csv'], true],
    ['.hidden.csv', ['*.csv'], true],
    ['.cache/x.json', ['**/*.json'], true],
    ['report.txt', ['./report.txt'], true],
    ['report.txt', ['glob:report.*'], true],
    ['data/2024/x.parquet', ['regex:data/\\d{4}/.*\\.parquet'], true],
    ['data/x.parquet', ['regex:data/\\d{4}/.*\\.parquet'], false],
    ['a.txt', ['a.txt', 'b.txt'], true],
    ['c.txt', ['a.txt', 'b.txt'], false],
  ];
  for (const [path, globs, expected] of cases) {
    test(`${path} with ${JSON.stringify(globs)} is ${expected ? '' : 'not '}an output`, () => {
      assert.equal(matchesOutput(path, globs, 'out'), expected);
    });
  }

  test('a nested output folder name and ./ prefixes are understood', () => {
    const matches = createOutputMatcher([], './build/out/');
    assert.equal(matches('build/out/x'), true);
    assert.equal(matches('build/x'), false);
  });
});

describe('listOutputFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-output-match-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('lists regular files under the output folder and matching the globs, sorted, never through symlinks, which are listed apart', async () => {
    mkdirSync(join(dir, 'out', 'nested'), { recursive: true });
    mkdirSync(join(dir, 'reports'));
    writeFileSync(join(dir, 'out', 'z.txt'), 'z');
    writeFileSync(join(dir, 'out', 'nested', 'a.txt'), 'a');
    writeFileSync(join(dir, 'reports', 'r.csv'), 'r');
    writeFileSync(join(dir, 'top.csv'), 't');
    writeFileSync(join(dir, 'input.txt'), 'i');
    symlinkSync(join(dir, 'top.csv'), join(dir, 'link.csv'));
    const outside = mkdtempSync(join(tmpdir(), 'harrier-output-outside-'));
    writeFileSync(join(outside, 'secret.csv'), 's');
    symlinkSync(outside, join(dir, 'linked-dir'));
    try {
      const { files, links } = await listOutputFiles(dir, ['**/*.csv'], 'out');
      assert.deepEqual(files, ['out/nested/a.txt', 'out/z.txt', 'reports/r.csv', 'top.csv']);
      assert.deepEqual(links, ['link.csv'], 'a link matching a pattern is reported, one that does not (linked-dir) is not');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
