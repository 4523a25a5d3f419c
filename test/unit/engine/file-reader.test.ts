import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readForExpression } from '../../../src/engine/file-reader.ts';
import { InternalStorage } from '../../../src/store/internal-storage.ts';

test('read() reads this execution\'s stored files and the namespace files, and nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-read-'));
  const storage = new InternalStorage(dir);
  const mine = { namespace: 'a.b', flowId: 'f', executionId: 'e1' };
  const executionPrefix = storage.executionPrefix(mine);
  const own = join(storage.root, executionPrefix, 'tasks', 't', 'r', 'hello.txt');
  mkdirSync(join(own, '..'), { recursive: true });
  writeFileSync(own, 'hello\n');
  const other = join(storage.root, storage.executionPrefix({ ...mine, executionId: 'e2' }), 'x.txt');
  mkdirSync(join(other, '..'), { recursive: true });
  writeFileSync(other, 'not yours\n');
  const namespaceDir = join(dir, 'namespace-files', 'a.b');
  mkdirSync(join(namespaceDir, 'sql'), { recursive: true });
  writeFileSync(join(namespaceDir, 'sql', 'q.sql'), 'select 1\n');
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, 'top secret\n');
  symlinkSync(secret, join(namespaceDir, 'link.txt'));
  const scope = { storage, executionPrefixes: [executionPrefix], namespaceDir };

  assert.equal(readForExpression(`kestra:///${executionPrefix}/tasks/t/r/hello.txt`, scope), 'hello\n');
  assert.equal(readForExpression('sql/q.sql', scope), 'select 1\n');
  assert.throws(() => readForExpression(`kestra:///a/b/f/executions/e2/x.txt`, scope), /refused: read\(\) reads only internal storage files of this execution/);
  assert.throws(() => readForExpression(`kestra:///${executionPrefix}/../e2/x.txt`, scope), /refused/);
  assert.throws(() => readForExpression('link.txt', scope), /refused: read\(\) reads only the namespace files/);
  assert.throws(() => readForExpression(secret, scope), /refused: a namespace file path is relative/);
  assert.throws(() => readForExpression('nothing.txt', scope), /no such file/);
});

test('a replay also reads the files of the executions it was replayed from, and no other', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-read-'));
  const storage = new InternalStorage(dir);
  const prefix = (executionId: string): string => storage.executionPrefix({ namespace: 'a.b', flowId: 'f', executionId });
  for (const executionId of ['original', 'other']) {
    const file = join(storage.root, prefix(executionId), 'tasks', 't', 'r', 'made.txt');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, `made in ${executionId}\n`);
  }
  mkdirSync(join(storage.root, prefix('replay')), { recursive: true });
  const scope = { storage, executionPrefixes: storage.readablePrefixes({ namespace: 'a.b', flowId: 'f', executionId: 'replay' }, ['original']), namespaceDir: join(dir, 'none') };

  assert.equal(readForExpression(`kestra:///${prefix('original')}/tasks/t/r/made.txt`, scope), 'made in original\n');
  assert.throws(() => readForExpression(`kestra:///${prefix('other')}/tasks/t/r/made.txt`, scope), /refused: read\(\) reads only internal storage files of this execution and of those it replays/);
  assert.throws(() => readForExpression(`kestra:///${prefix('original')}/../other/tasks/t/r/made.txt`, scope), /refused/);
});
