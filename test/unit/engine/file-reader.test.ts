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
  const scope = { storage, executionPrefix, namespaceDir };

  assert.equal(readForExpression(`kestra:///${executionPrefix}/tasks/t/r/hello.txt`, scope), 'hello\n');
  assert.equal(readForExpression('sql/q.sql', scope), 'select 1\n');
  assert.throws(() => readForExpression(`kestra:///a/b/f/executions/e2/x.txt`, scope), /refused: read\(\) reads only internal storage files of this execution/);
  assert.throws(() => readForExpression(`kestra:///${executionPrefix}/../e2/x.txt`, scope), /refused/);
  assert.throws(() => readForExpression('link.txt', scope), /refused: read\(\) reads only the namespace files/);
  assert.throws(() => readForExpression(secret, scope), /refused: a namespace file path is relative/);
  assert.throws(() => readForExpression('nothing.txt', scope), /no such file/);
});
