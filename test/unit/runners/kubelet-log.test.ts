import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeletLogParser } from '../../../src/runners/kubernetes/kubelet-log.ts';
import { MAX_LINE_BYTES } from '../../../src/runners/line-splitter.ts';

/** What the kubelet (1.27 and later) sends with `timestamps=true`: each line once stamped, however many records it took. */
function kubeletRendering(lines: string[], stampOf: (line: number) => string): Buffer {
  return Buffer.concat(lines.map((line, index) => Buffer.from(`${stampOf(index)} ${line}\n`)));
}

const stampOf = (index: number): string => `2026-12-01T10:00:${String(index % 60).padStart(2, '0')}.${String(index).padStart(9, '0')}Z`;

function parse(stream: Buffer, chunkBytes: number, maxLineBytes?: number): { lines: string[]; stamps: (string | undefined)[]; cuts: number } {
  const lines: string[] = [];
  const stamps: (string | undefined)[] = [];
  let cuts = 0;
  const parser = new KubeletLogParser({
    maxLineBytes,
    onLine: (line, stamp, cutStarts) => {
      lines.push(line);
      stamps.push(stamp);
      if (cutStarts) cuts++;
    },
  });
  for (let start = 0; start < stream.length; start += chunkBytes) parser.push(stream.subarray(start, start + chunkBytes));
  parser.end();
  return { lines, stamps, cuts };
}

test('lines of 20,000 characters and of multi-byte text come back exactly, with their stamps, whatever the chunking', () => {
  const lines = ['short', 'x'.repeat(20_000), 'é€😀'.repeat(7_000), '', 'after'];
  const stream = kubeletRendering(lines, stampOf);
  for (const chunk of [1, 7, 31, 4096, 65_536]) {
    const parsed = parse(stream, chunk);
    assert.deepEqual(parsed.lines, lines, `chunks of ${chunk}`);
    assert.deepEqual(parsed.stamps, lines.map((_, index) => stampOf(index)));
  }
});

test('stamp-like text inside a line is the task\'s text, at a 16 KiB boundary too', () => {
  const stampLike = '2026-12-01T10:00:00.000000000Z ';
  const lines = [`${stampLike}starts like one`, `${'z'.repeat(16_384)}${stampLike}inside`, `${'y'.repeat(16_384 - stampLike.length)}${stampLike}${stampLike}`];
  assert.deepEqual(parse(kubeletRendering(lines, stampOf), 333).lines, lines);
});

test('CRLF, and a last line without newline', () => {
  const stream = Buffer.concat([kubeletRendering(['dos\r'], stampOf), Buffer.from(`${stampOf(1)} no newline`)]);
  assert.deepEqual(parse(stream, 3).lines, ['dos', 'no newline']);
});

test('a line without a stamp (the tail of a line begun before sinceTime) is reported unstamped, split anywhere', () => {
  const stream = Buffer.from(`tail of an earlier line\n${stampOf(3)} y\n`);
  for (let cut = 1; cut < stream.length; cut++) {
    const { lines, stamps } = parse(Buffer.concat([stream.subarray(0, cut), stream.subarray(cut)]), cut);
    assert.deepEqual(lines, ['tail of an earlier line', 'y'], `cut at ${cut}`);
    assert.deepEqual(stamps, [undefined, stampOf(3)]);
  }
});

test('a line longer than the maximum is cut into pieces at character boundaries, each with the line\'s stamp, the first marked', () => {
  const line = 'ü'.repeat(MAX_LINE_BYTES); // 2 MiB
  const { lines, stamps, cuts } = parse(kubeletRendering([line, 'ok'], stampOf), 65_536, MAX_LINE_BYTES);
  assert.equal(cuts, 1);
  assert.deepEqual(lines.map((l) => Buffer.byteLength(l)), [MAX_LINE_BYTES, MAX_LINE_BYTES, 2]);
  assert.equal(lines.slice(0, 2).join(''), line);
  assert.deepEqual(stamps, [stampOf(0), stampOf(0), stampOf(1)]);
});
