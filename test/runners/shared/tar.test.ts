import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, test } from 'node:test';
import * as tarStream from 'tar-stream';
import { RunnerError } from '../../../src/shared/errors.ts';
import { extractTarSafely, packDirectory } from '../../../src/runners/shared/tar.ts';

const scratch = mkdtempSync(join(tmpdir(), 'harrier-tar-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
function freshDir(name: string): string {
  const dir = join(scratch, `${name}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

type RawEntry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; content?: string; linkname?: string };

/** A tar stream written entry by entry, as a hostile or sloppy peer could send it. */
function rawTar(entries: RawEntry[]): Readable {
  const pack = tarStream.pack();
  for (const entry of entries) {
    if (entry.type === 'symlink' || entry.type === 'link') pack.entry({ name: entry.name, type: entry.type, linkname: entry.linkname ?? '' });
    else if (entry.type === 'directory') pack.entry({ name: entry.name, type: 'directory', mode: 0o755 });
    else pack.entry({ name: entry.name, mode: 0o644 }, entry.content ?? '');
  }
  pack.finalize();
  return Readable.from(pack);
}

async function entriesOf(stream: Readable): Promise<Array<{ name: string; type: string; content: string; linkname?: string }>> {
  const extract = tarStream.extract();
  const piped = pipeline(stream, extract as unknown as NodeJS.WritableStream);
  // The loop below reports the same error first; this one must not go unhandled meanwhile.
  piped.catch(() => undefined);
  const found: Array<{ name: string; type: string; content: string; linkname?: string }> = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    found.push({ name: entry.header.name, type: entry.header.type, content: Buffer.concat(chunks).toString(), linkname: entry.header.linkname || undefined });
  }
  await piped;
  return found;
}

describe('packDirectory', () => {
  test('packs files and directories with relative names, sorted, under an optional prefix', async () => {
    const dir = freshDir('pack');
    writeFileSync(join(dir, 'b.txt'), 'bee');
    mkdirSync(join(dir, 'a', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'a', 'deep', 'c.txt'), 'sea');
    const entries = await entriesOf(packDirectory(dir, { prefix: 'wd/' }));
    assert.deepEqual(
      entries.map((entry) => [entry.name, entry.type, entry.content]),
      [
        ['wd/a', 'directory', ''],
        ['wd/a/deep', 'directory', ''],
        ['wd/a/deep/c.txt', 'file', 'sea'],
        ['wd/b.txt', 'file', 'bee'],
      ],
    );
  });

  test('the filter leaves out files and whole directories', async () => {
    const dir = freshDir('filter');
    mkdirSync(join(dir, 'skip'));
    writeFileSync(join(dir, 'skip', 'x'), 'x');
    writeFileSync(join(dir, 'keep.txt'), 'k');
    writeFileSync(join(dir, 'drop.log'), 'd');
    const entries = await entriesOf(packDirectory(dir, { filter: (path) => path !== 'skip' && !path.endsWith('.log') }));
    assert.deepEqual(entries.map((entry) => entry.name), ['keep.txt']);
  });

  test('keeps a symlink pointing inside the directory as a symlink', async () => {
    const dir = freshDir('inner-link');
    writeFileSync(join(dir, 'target.txt'), 't');
    mkdirSync(join(dir, 'sub'));
    symlinkSync('../target.txt', join(dir, 'sub', 'link'));
    const entries = await entriesOf(packDirectory(dir));
    assert.deepEqual(entries.find((entry) => entry.name === 'sub/link'), { name: 'sub/link', type: 'symlink', content: '', linkname: '../target.txt' });
  });

  test('rejects a symlink pointing outside the directory', async () => {
    for (const target of ['/etc/passwd', '../../outside']) {
      const dir = freshDir('outer-link');
      writeFileSync(join(dir, 'fine.txt'), 'f');
      symlinkSync(target, join(dir, 'zz-escape'));
      await assert.rejects(entriesOf(packDirectory(dir)), (error: unknown) => {
        assert.ok(error instanceof RunnerError, String(error));
        assert.match(error.message, /symlink zz-escape points outside/);
        return true;
      });
    }
  });
});

describe('extractTarSafely', () => {
  test('round-trips a directory and returns the files written', async () => {
    const source = freshDir('round-src');
    mkdirSync(join(source, 'x', 'y'), { recursive: true });
    writeFileSync(join(source, 'x', 'y', 'z.bin'), Buffer.from([0, 1, 2, 255]));
    writeFileSync(join(source, 'top.txt'), 'top\n');
    const dest = join(freshDir('round-dest'), 'not-yet-there');
    const written = await extractTarSafely(packDirectory(source, { prefix: 'root/' }), dest, { stripPrefix: 'root' });
    assert.deepEqual(written.sort(), ['top.txt', 'x/y/z.bin']);
    assert.deepEqual(readFileSync(join(dest, 'x', 'y', 'z.bin')), Buffer.from([0, 1, 2, 255]));
    assert.equal(readFileSync(join(dest, 'top.txt'), 'utf8'), 'top\n');
  });

  test('applies the filter and ignores entries outside the prefix', async () => {
    const dest = freshDir('filter-dest');
    const written = await extractTarSafely(
      rawTar([
        { name: 'root/keep.txt', content: 'k' },
        { name: 'root/skip.txt', content: 's' },
        { name: 'other/keep.txt', content: 'o' },
      ]),
      dest,
      { stripPrefix: 'root/', filter: (path) => path.startsWith('keep') },
    );
    assert.deepEqual(written, ['keep.txt']);
    assert.equal(existsSync(join(dest, 'skip.txt')), false);
    assert.equal(readFileSync(join(dest, 'keep.txt'), 'utf8'), 'k');
  });

  test('an entry whose name leaves the destination is left out and reported; every other entry is kept', async () => {
    const dest = freshDir('traversal');
    const names = ['../escape.txt', 'a/../../escape.txt', '/tmp/harrier-absolute-escape.txt', '..\\..\\bs', 'C:/windows.txt'];
    const skipped: string[] = [];
    const written = await extractTarSafely(
      rawTar([{ name: 'first.txt', content: '1' }, ...names.map((name) => ({ name, content: 'pwned' })), { name: 'last.txt', content: '2' }]),
      join(dest, 'inner'),
      { onSkip: ({ name, reason }) => skipped.push(`${name}:${reason.kind}`) },
    );
    assert.deepEqual(written, ['first.txt', 'last.txt']);
    assert.deepEqual(skipped, names.map((name) => `${name}:name-leaves`));
    assert.equal(existsSync(join(dest, 'escape.txt')), false);
    assert.equal(existsSync('/tmp/harrier-absolute-escape.txt'), false);
    assert.equal(existsSync(join(dest, 'bs')), false);
  });

  test('skips symlinks that stay inside; a hard link to an extracted file becomes a copy, to anything else nothing (reported)', async () => {
    const dest = freshDir('links-inside');
    const skipped: string[] = [];
    const written = await extractTarSafely(
      rawTar([
        { name: 'w/a.txt', content: 'a' },
        { name: 'w/link', type: 'symlink', linkname: 'a.txt' },
        { name: 'w/sub/hard', type: 'link', linkname: 'w/a.txt' },
        { name: 'w/dangling', type: 'link', linkname: 'w/never-extracted' },
      ]),
      dest,
      { stripPrefix: 'w', onSkip: ({ name, reason }) => skipped.push(`${name}:${JSON.stringify(reason)}`) },
    );
    assert.deepEqual(written, ['a.txt', 'sub/hard']);
    assert.deepEqual(skipped, ['dangling:{"kind":"hardlink-uncollected","target":"w/never-extracted"}'], 'the inside symlink silently, the dangling hard link reported');
    assert.equal(existsSync(join(dest, 'link')), false);
    assert.equal(existsSync(join(dest, 'dangling')), false);
    assert.equal(lstatSync(join(dest, 'sub', 'hard')).isFile(), true);
    assert.equal(readFileSync(join(dest, 'sub', 'hard'), 'utf8'), 'a');
    assert.equal(lstatSync(join(dest, 'sub', 'hard')).nlink, 1, 'a copy, not a hard link');
  });

  test('the filter sees each entry type and can leave links out', async () => {
    const dest = freshDir('filter-types');
    const seen: string[] = [];
    await extractTarSafely(rawTar([{ name: 'f', content: 'x' }, { name: 'l', type: 'symlink', linkname: '/etc/passwd' }]), dest, {
      filter: (path, type) => {
        seen.push(`${path}:${type}`);
        return type !== 'symlink';
      },
    });
    assert.deepEqual(seen, ['f:file', 'l:symlink']);
  });

  test('a symlink escaping the destination is left out and reported, never written through, and what follows is kept', async () => {
    const dest = freshDir('symlink-escape');
    const outside = freshDir('outside');
    const skipped: string[] = [];
    const written = await extractTarSafely(
      rawTar([
        { name: 'evil', type: 'symlink', linkname: outside },
        { name: 'etc', type: 'symlink', linkname: '/etc' },
        { name: 'up', type: 'symlink', linkname: '../..' },
        { name: 'evil/pwned.txt', content: 'x' },
        { name: 'after.txt', content: 'kept' },
      ]),
      dest,
      { onSkip: ({ name, reason }) => skipped.push(`${name}:${JSON.stringify(reason)}`) },
    );
    assert.deepEqual(skipped, [
      `evil:{"kind":"symlink-outside","target":"${outside}"}`,
      'etc:{"kind":"symlink-outside","target":"/etc"}',
      'up:{"kind":"symlink-outside","target":"../.."}',
    ]);
    assert.deepEqual(written, ['evil/pwned.txt', 'after.txt']);
    assert.equal(lstatSync(join(dest, 'evil')).isDirectory(), true, 'a real directory, not the link');
    assert.equal(existsSync(join(outside, 'pwned.txt')), false);
  });

  test('a hard link to a path outside is left out and reported', async () => {
    const dest = freshDir('hardlink-escape');
    const skipped: string[] = [];
    const written = await extractTarSafely(rawTar([{ name: 'h', type: 'link', linkname: '../../etc/passwd' }, { name: 'f', content: 'f' }]), dest, {
      onSkip: ({ name, reason }) => skipped.push(`${name}:${reason.kind}`),
    });
    assert.deepEqual(written, ['f']);
    assert.deepEqual(skipped, ['h:hardlink-uncollected']);
    assert.equal(existsSync(join(dest, 'h')), false);
  });

  test('does not follow a symlink already in the destination: a directory entry through it is refused', async () => {
    const dest = freshDir('preexisting-link');
    const outside = freshDir('outside-target');
    symlinkSync(outside, join(dest, 'sneaky'));
    await assert.rejects(extractTarSafely(rawTar([{ name: 'sneaky/file.txt', content: 'x' }]), dest), /symlink is in the way/);
    assert.equal(existsSync(join(outside, 'file.txt')), false);
  });

  test('a file arriving where a symlink to outside is replaces the symlink instead of writing through it', async () => {
    const dest = freshDir('replace-link');
    const outside = freshDir('outside-file');
    writeFileSync(join(outside, 'victim.txt'), 'original');
    symlinkSync(join(outside, 'victim.txt'), join(dest, 'result.txt'));
    await extractTarSafely(rawTar([{ name: 'result.txt', content: 'new' }]), dest);
    assert.equal(readFileSync(join(outside, 'victim.txt'), 'utf8'), 'original');
    assert.equal(lstatSync(join(dest, 'result.txt')).isFile(), true);
    assert.equal(readFileSync(join(dest, 'result.txt'), 'utf8'), 'new');
  });

  test('streams a 200 MB file both ways with bounded memory', async () => {
    const source = freshDir('big-src');
    const size = 200 * 1024 * 1024;
    // Generated by a child process so this process never holds the file.
    await new Promise<void>((resolve, reject) => {
      const child = spawn('dd', ['if=/dev/urandom', `of=${join(source, 'big.bin')}`, 'bs=1M', 'count=200', 'status=none']);
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`dd exited ${code}`))));
    });
    const expected = await sha256(join(source, 'big.bin'));
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const dest = freshDir('big-dest');
    try {
      const written = await extractTarSafely(packDirectory(source), dest);
      assert.deepEqual(written, ['big.bin']);
    } finally {
      clearInterval(sampler);
    }
    assert.equal(lstatSync(join(dest, 'big.bin')).size, size);
    assert.equal(await sha256(join(dest, 'big.bin')), expected);
    const growth = (peak - baseline) / (1024 * 1024);
    console.log(`# RSS growth ${growth.toFixed(1)} MB`);
    assert.ok(growth < 64, `RSS grew by ${growth.toFixed(1)} MB while streaming 200 MB`);
  });
});

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}
