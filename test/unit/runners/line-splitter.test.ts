import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter } from '../../../src/runners/line-splitter.ts';

test('lines are split across chunk boundaries, CRLF trimmed, a final unterminated line kept', () => {
  const lines: string[] = [];
  const splitter = new LineSplitter();
  const emit = (line: string): void => void lines.push(line);
  splitter.push(Buffer.from('one\ntw'), emit);
  splitter.push(Buffer.from('o\r\nthree\n\nla'), emit);
  splitter.push(Buffer.from('st'), emit);
  splitter.end(emit);
  assert.deepEqual(lines, ['one', 'two', 'three', '', 'last']);
});

test('a multi-byte character split between chunks is decoded whole', () => {
  const lines: string[] = [];
  const splitter = new LineSplitter();
  const bytes = Buffer.from('héllo ✓\n');
  splitter.push(bytes.subarray(0, 2), (l) => lines.push(l));
  splitter.push(bytes.subarray(2, 9), (l) => lines.push(l));
  splitter.push(bytes.subarray(9), (l) => lines.push(l));
  assert.deepEqual(lines, ['héllo ✓']);
});
