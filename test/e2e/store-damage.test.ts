/**
 * A store file that is not a Harrier store, or is damaged: every command says so in one line with
 * the path and what to do, exits 2, and leaves the file as it found it.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { harrier, runJson, tempStateDir } from '../support/harrier.ts';

function assertOneLine(result: { code: number | null; stderr: string }, dbPath: string, what: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(lines[0].startsWith('error: '), lines[0]);
  assert.ok(lines[0].includes(dbPath), lines[0]);
  assert.match(lines[0], what);
  assert.match(lines[0], /restore it from a backup, or move it aside with `mv /);
  assert.doesNotMatch(lines[0], /writable|internal error/);
}

test('a 0-byte harrier.db is refused by every command, not taken for an empty store', async () => {
  const stateDir = tempStateDir();
  const dbPath = join(stateDir, 'harrier.db');
  writeFileSync(dbPath, '');
  for (const args of [['executions'], ['run', 'examples/hello.yaml'], ['logs', 'abcd'], ['resume', 'abcd']]) {
    assertOneLine(await harrier([...args, '--state-dir', stateDir]), dbPath, /is not a Harrier store: it is empty \(0 bytes\)/);
  }
  assert.equal(readFileSync(dbPath).length, 0);
});

test('damaged pages are named as damage by every command, not an internal error', async () => {
  const stateDir = tempStateDir();
  const { doc } = await runJson('examples/hello.yaml', stateDir);
  assert.equal(doc.state, 'SUCCESS');
  const dbPath = join(stateDir, 'harrier.db');
  const fd = openSync(dbPath, 'r+');
  writeSync(fd, Buffer.alloc(4096 * 3, 0x5a), 0, 4096 * 3, 4096);
  closeSync(fd);
  for (const args of [['executions'], ['logs', doc.id]]) {
    assertOneLine(await harrier([...args, '--state-dir', stateDir]), dbPath, /the state store .* is damaged \(/);
  }
});
