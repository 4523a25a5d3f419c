/**
 * The bin's V8 code cache (bin/harrier.ts): written at the first start, used after, rewritten when it
 * is damaged, never in the way when it cannot be written, and off with NODE_DISABLE_COMPILE_CACHE.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { harrier } from '../support/harrier.ts';

const VERSION_LINE = /^harrier \S+ \(node v[\d.]+\)\n$/;

function caches(cacheHome: string): string[] {
  const dir = join(cacheHome, 'harrier');
  return readdirSync(dir).filter((name) => name.endsWith('.v8cache')).map((name) => join(dir, name));
}

test('the first start writes a code cache per command; a damaged one is replaced and the command still works', async () => {
  const cacheHome = mkdtempSync(join(tmpdir(), 'harrier-cache-'));
  const first = await harrier(['--version'], { env: { XDG_CACHE_HOME: cacheHome } });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, VERSION_LINE);
  const [written] = caches(cacheHome);
  assert.match(written, /-other\.v8cache$/);
  assert.ok(statSync(written).size > 10_000, `${written}: ${statSync(written).size} bytes`);

  writeFileSync(written, 'not a code cache');
  const damaged = await harrier(['--version'], { env: { XDG_CACHE_HOME: cacheHome } });
  assert.equal(damaged.code, 0, damaged.stderr);
  assert.equal(damaged.stdout, first.stdout);
  assert.equal(damaged.stderr, '');
  assert.notEqual(readFileSync(written, 'utf8').slice(0, 16), 'not a code cache');

  const help = await harrier(['validate', '--help'], { env: { XDG_CACHE_HOME: cacheHome } });
  assert.equal(help.code, 0, help.stderr);
  assert.deepEqual(caches(cacheHome).map((path) => path.replace(/.*-/, '')).sort(), ['other.v8cache', 'validate.v8cache']);
});

test('a cache dir that cannot be created costs nothing but speed; NODE_DISABLE_COMPILE_CACHE writes none', async () => {
  const blocked = join(mkdtempSync(join(tmpdir(), 'harrier-cache-')), 'a-file');
  writeFileSync(blocked, '');
  const unwritable = await harrier(['--version'], { env: { XDG_CACHE_HOME: blocked } });
  assert.equal(unwritable.code, 0, unwritable.stderr);
  assert.match(unwritable.stdout, VERSION_LINE);
  assert.equal(unwritable.stderr, '');

  const cacheHome = mkdtempSync(join(tmpdir(), 'harrier-cache-'));
  const disabled = await harrier(['--version'], { env: { XDG_CACHE_HOME: cacheHome, NODE_DISABLE_COMPILE_CACHE: '1' } });
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.deepEqual(readdirSync(cacheHome), []);
});

test('writing a cache keeps the 16 newest: those of old builds and Node versions go first', async () => {
  const cacheHome = mkdtempSync(join(tmpdir(), 'harrier-cache-'));
  const dir = join(cacheHome, 'harrier');
  mkdirSync(dir);
  const old = Array.from({ length: 20 }, (_, i) => join(dir, `main-OLD${i}.cjs-v24.0.0-x64-run.v8cache`));
  old.forEach((path, i) => {
    writeFileSync(path, 'old');
    utimesSync(path, new Date(2020, 0, 1 + i), new Date(2020, 0, 1 + i));
  });
  const result = await harrier(['--version'], { env: { XDG_CACHE_HOME: cacheHome } });
  assert.equal(result.code, 0, result.stderr);
  const kept = caches(cacheHome);
  assert.equal(kept.length, 16);
  assert.ok(kept.some((path) => path.endsWith('-other.v8cache')), 'the new cache is kept');
  assert.deepEqual(old.filter((path) => !kept.includes(path)), old.slice(0, 5), 'the five oldest went');
});
