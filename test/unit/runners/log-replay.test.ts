import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogReplay, cursorsFromStored, epochSecondOf, secondText } from '../../../src/runners/log-replay.ts';

interface Line {
  timestamp: string;
  text: string;
}

const BASE_MS = Date.parse('2024-01-01T00:00:00Z');

/** Small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function stamp(ms: number, nanos = 0): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1_000_000 + nanos).padStart(9, '0')}Z`;
}

/**
 * A container log as a kubelet or Docker writes it: stdout and stderr stamped as each pipe is
 * read, written in arrival order, so a stderr line may carry an older stamp than the line before.
 */
function containerLog(lines: number, rand: () => number): Line[] {
  const log: Line[] = [];
  let now = BASE_MS + 400;
  for (let i = 0; i < lines; i++) {
    now += Math.floor(rand() * 40);
    const late = rand() < 0.2 ? Math.floor(rand() * 30) : 0;
    log.push({ timestamp: stamp(now - late, i % 7), text: `line ${i}` });
  }
  return log;
}

/** What a server returns for `since`: every line stamped at or after that whole second, in log order. */
function serverRead(log: Line[], since: string | undefined): Line[] {
  if (since === undefined) return log;
  const from = epochSecondOf(since)!;
  return log.filter((line) => epochSecondOf(line.timestamp)! >= from);
}

/** Reads the log through `replay`, each read cut after a random number of lines, until a read ends cleanly. */
function readAll(log: Line[], replay: LogReplay, rand: () => number, delivered: Line[], maxReads = 50): void {
  for (let read = 0; read < maxReads; read++) {
    const lines = serverRead(log, replay.startRead());
    const cut = rand() < 0.5 ? lines.length : Math.floor(rand() * lines.length);
    for (const line of lines.slice(0, cut)) if (replay.accept(line.timestamp)) delivered.push(line);
    if (cut === lines.length) return;
  }
  throw new Error('the log was never read to its end');
}

test('stamps: whole seconds parsed, Docker and kubelet forms alike; since texts are whole seconds', () => {
  assert.equal(epochSecondOf('2024-01-01T00:00:01.999999999Z'), 1704067201);
  assert.equal(epochSecondOf('2024-01-01T00:00:01.5Z'), 1704067201);
  assert.equal(epochSecondOf('2024-01-01T02:00:01+02:00'), 1704067201);
  assert.equal(epochSecondOf('2024-01-01T00:00:01Z'), 1704067201);
  assert.equal(epochSecondOf('not a time'), undefined);
  assert.equal(secondText(1704067201), '2024-01-01T00:00:01Z');
});

test('one read delivers every line, out-of-order stamps included', () => {
  const log: Line[] = [
    { timestamp: '2024-01-01T00:00:01.300Z', text: 'hello' },
    { timestamp: '2024-01-01T00:00:01.500Z', text: 'done' },
    { timestamp: '2024-01-01T00:00:01.400Z', text: 'oops (stderr, stamped earlier, written later)' },
  ];
  const replay = new LogReplay();
  assert.equal(replay.startRead(), undefined, 'the first read starts at the beginning');
  assert.deepEqual(log.map((line) => replay.accept(line.timestamp)), [true, true, true]);
});

test('a re-read starts a whole second before the newest line and skips exactly what was delivered', () => {
  const replay = new LogReplay();
  replay.startRead();
  const first = ['2024-01-01T00:00:03.1Z', '2024-01-01T00:00:04.2Z', '2024-01-01T00:00:05.7Z', '2024-01-01T00:00:05.6Z'];
  for (const timestamp of first) assert.equal(replay.accept(timestamp), true);
  assert.equal(replay.startRead(), '2024-01-01T00:00:04Z');
  // The server returns the lines from 00:00:04 on again, then a new one.
  assert.deepEqual(
    ['2024-01-01T00:00:04.2Z', '2024-01-01T00:00:05.7Z', '2024-01-01T00:00:05.6Z', '2024-01-01T00:00:05.9Z'].map((timestamp) => replay.accept(timestamp)),
    [false, false, false, true],
  );
});

test('a read cut while still skipping is read again from the same place', () => {
  const replay = new LogReplay({ since: '2024-01-01T00:00:04Z', linesSince: 3 });
  assert.equal(replay.startRead(), '2024-01-01T00:00:04Z');
  assert.equal(replay.accept('2024-01-01T00:00:04.2Z'), false);
  assert.deepEqual(replay.cursor(), { since: '2024-01-01T00:00:04Z', linesSince: 3 });
  assert.equal(replay.startRead(), '2024-01-01T00:00:04Z');
  assert.deepEqual(['04.2', '05.7', '05.6', '05.9'].map((s) => replay.accept(`2024-01-01T00:00:${s}Z`)), [false, false, false, true]);
});

test('lines without a stamp are always delivered and never counted', () => {
  const replay = new LogReplay();
  replay.startRead();
  assert.equal(replay.accept('garbage'), true);
  assert.equal(replay.cursor(), undefined);
});

test('random cuts over logs with out-of-order stamps: every line once, in order', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rand = random(seed);
    const log = containerLog(50 + Math.floor(rand() * 300), rand);
    const delivered: Line[] = [];
    readAll(log, new LogReplay(), rand, delivered);
    assert.deepEqual(delivered.map((line) => line.text), log.map((line) => line.text), `seed ${seed}`);
  }
});

test('a new process resuming from what reached the store continues without a gap or a repeat', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rand = random(seed);
    const log = containerLog(50 + Math.floor(rand() * 300), rand);
    const delivered: Line[] = [];
    // The first process delivers a prefix, possibly over several reads, then dies; only part of
    // what it delivered was written to the store.
    const first = new LogReplay();
    const killAt = Math.floor(rand() * log.length);
    while (delivered.length < killAt) {
      // Each read is cut after a few new lines.
      let fresh = 1 + Math.floor(rand() * 40);
      for (const line of serverRead(log, first.startRead())) {
        if (first.accept(line.timestamp)) delivered.push(line);
        else continue;
        if (--fresh === 0 || delivered.length >= killAt) break;
      }
    }
    const stored = delivered.slice(0, Math.floor(rand() * (delivered.length + 1)));
    const { logCursor: cursor } = cursorsFromStored(stored.toReversed());
    const resumed = [...stored];
    readAll(log, new LogReplay(cursor), rand, resumed);
    assert.deepEqual(resumed.map((line) => line.text), log.map((line) => line.text), `seed ${seed}`);
  }
});

test('the stored cursor counts the lines of the last two seconds, however out of order', () => {
  const stamps = (timestamps: string[]) => timestamps.map((timestamp) => ({ timestamp }));
  const newestFirst = ['2024-01-01T00:00:05.1Z', '2024-01-01T00:00:05.3Z', '2024-01-01T00:00:04.9Z', '2024-01-01T00:00:03.9Z', '2024-01-01T00:00:04.0Z', '2024-01-01T00:00:01Z'];
  assert.deepEqual(cursorsFromStored(stamps(newestFirst)), { logCursor: { since: '2024-01-01T00:00:04Z', linesSince: 4 } });
  assert.deepEqual(cursorsFromStored([]), { logCursor: undefined });
  assert.deepEqual(cursorsFromStored(stamps(['x', '2024-01-01T00:00:05.1Z'])), { logCursor: { since: '2024-01-01T00:00:04Z', linesSince: 1 } });
});

test('one log: the scan stops a whole run of lines before the window', () => {
  const window = [{ timestamp: '2024-01-01T00:00:09Z' }];
  const old = Array.from({ length: 5 }, () => ({ timestamp: '2024-01-01T00:00:01Z' }));
  let read = 0;
  function* counted() {
    for (const stamp of [...window, ...old, { timestamp: '2024-01-01T00:00:08.5Z' }]) {
      read++;
      yield stamp;
    }
  }
  assert.deepEqual(cursorsFromStored(counted(), 2), { logCursor: { since: '2024-01-01T00:00:08Z', linesSince: 1 } });
  assert.equal(read, 4, 'the window line, then two old lines allowed, and the third ends the scan');
});

test('lines that name their container count for that container only, and every line is read', () => {
  const at = (second: number, ms: number) => `2024-01-01T00:00:${String(second).padStart(2, '0')}.${String(ms).padStart(3, '0')}Z`;
  const oldestFirst = [
    // Three lines behind the attempt's window with scanPastWindow 2: one log would stop before this one.
    { timestamp: at(1, 0), container: 'quiet' },
    { timestamp: at(1, 100), container: 'side' },
    { timestamp: at(3, 0), container: 'main' },
    ...Array.from({ length: 5 }, () => ({ timestamp: at(5, 200), container: 'side' })),
    { timestamp: at(3, 500), container: 'main' },
  ];
  assert.deepEqual(cursorsFromStored(oldestFirst.toReversed(), 2), {
    logCursor: { since: '2024-01-01T00:00:04Z', linesSince: 5 },
    containerCursors: {
      quiet: { since: '2024-01-01T00:00:00Z', linesSince: 1 },
      main: { since: '2024-01-01T00:00:02Z', linesSince: 2 },
      side: { since: '2024-01-01T00:00:04Z', linesSince: 5 },
    },
  });
});
