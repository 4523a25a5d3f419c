import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const MODULE = new URL('../../../src/runners/shared/transfer-memory.ts', import.meta.url).href;

/** Runs a snippet in a Node with or without --expose-gc, counting the collections the module asks for. */
function collectionsFor(exposeGc: boolean, body: string): number {
  const script = `
    const real = globalThis.gc;
    let young = 0;
    if (real) globalThis.gc = (options) => { if (options?.type === 'minor') young++; real(options); };
    const { noteTransferred, transferMeter } = await import(${JSON.stringify(MODULE)});
    ${body}
    console.log(young);`;
  const result = spawnSync(process.execPath, [...(exposeGc ? ['--expose-gc'] : []), '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return Number(result.stdout.trim());
}

test('a young-generation collection every 4 MiB transferred (counted through an exposed gc)', () => {
  assert.equal(collectionsFor(true, 'for (let i = 0; i < 10; i++) noteTransferred(1024 * 1024);'), 2);
  assert.equal(collectionsFor(true, `
    const { pipeline } = await import('node:stream/promises');
    const { Readable, Writable } = await import('node:stream');
    const chunks = Array.from({ length: 64 }, () => Buffer.alloc(256 * 1024));
    await pipeline(Readable.from(chunks), transferMeter(), new Writable({ write(_c, _e, cb) { cb(); } }));`), 4);
});

test('without --expose-gc the collector is turned on at the first collection, and bytes still flow', () => {
  const script = `
    const { runInNewContext } = await import('node:vm');
    const { noteTransferred } = await import(${JSON.stringify(MODULE)});
    noteTransferred(1024 * 1024);
    const before = typeof runInNewContext('globalThis.gc');
    noteTransferred(4 * 1024 * 1024);
    console.log(before, typeof runInNewContext('gc'));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), 'undefined function');
});
