import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/**
 * A small tmpfs of its own, for tests of a full disk (mounting needs root). Without one the test is
 * skipped with the reason, except under CI=true, where it fails: CI runs as root and must run it.
 */
export function mountTmpfs(t: TestContext, sizeMiB: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-tmpfs-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mount.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const why = `cannot mount a ${sizeMiB} MiB tmpfs (${(mount.stderr || mount.error?.message || `exit ${mount.status}`).trim()}); the full-disk test needs root`;
    if (process.env.CI === 'true') assert.fail(why);
    t.diagnostic(why);
    t.skip(why);
    return undefined;
  }
  t.after(() => {
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Gives the tmpfs a new size: "space is back". */
export function resizeTmpfs(dir: string, sizeMiB: number): void {
  const remount = spawnSync('mount', ['-o', `remount,size=${sizeMiB}m`, dir], { encoding: 'utf8' });
  assert.equal(remount.status, 0, remount.stderr);
}
