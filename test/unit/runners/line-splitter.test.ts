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

test('without a maximum a long line stays whole; with one it is cut at character boundaries, noticed once per line', () => {
  const long = `${'a'.repeat(9)}€€€`; // 18 bytes
  const whole: string[] = [];
  const unbounded = new LineSplitter();
  unbounded.push(`${long}\n`, (l) => whole.push(l));
  assert.deepEqual(whole, [long]);

  const pieces: string[] = [];
  let cuts = 0;
  const bounded = new LineSplitter({ maxLineBytes: 10 });
  const sink = (line: string, cutStarts: boolean): void => {
    pieces.push(line);
    if (cutStarts) cuts++;
  };
  for (const byte of Buffer.from(`${long}\nshort\n${'b'.repeat(25)}`)) bounded.push(Buffer.from([byte]), sink);
  bounded.end(sink);
  assert.deepEqual(pieces, [`${'a'.repeat(9)}`, '€€€', 'short', 'b'.repeat(10), 'b'.repeat(10), 'b'.repeat(5)]);
  assert.equal(cuts, 2);
});

test('a line of exactly the maximum is not cut', () => {
  const pieces: string[] = [];
  const splitter = new LineSplitter({ maxLineBytes: 4 });
  splitter.push('abcd\nefgh\n', (line, cutStarts) => {
    assert.equal(cutStarts, false);
    pieces.push(line);
  });
  assert.deepEqual(pieces, ['abcd', 'efgh']);
});
