import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test images are built locally (nothing can be pulled here): `docker import` of a root file system
 * made from this machine's busybox-static.
 */
export const BUSYBOX_IMAGE = 'harrier-test/busybox:latest';

const BUSYBOX_APPLETS = [
  'sh', 'ash', 'ls', 'cat', 'echo', 'sleep', 'tar', 'mkdir', 'cp', 'mv', 'rm', 'true', 'false', 'env', 'test', '[', 'wc',
  'find', 'head', 'tail', 'touch', 'kill', 'printf', 'seq', 'sha256sum', 'dd', 'yes', 'grep', 'sed', 'awk', 'date',
  'id', 'chmod', 'ln', 'sort', 'uniq', 'tr', 'xargs', 'stat', 'du', 'base64', 'md5sum', 'cmp', 'expr', 'basename',
  'dirname', 'pwd', 'whoami', 'hostname', 'nproc', 'timeout', 'readlink', 'realpath', 'tee',
];

function imageExists(image: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function findBusybox(): string {
  for (const candidate of ['/bin/busybox', '/usr/bin/busybox']) if (existsSync(candidate)) return candidate;
  throw new Error('busybox-static is not installed: run `apt-get install busybox-static` (.ci/run does it)');
}

export function ensureBusyboxImage(): string {
  if (imageExists(BUSYBOX_IMAGE)) return BUSYBOX_IMAGE;
  const root = mkdtempSync(join(tmpdir(), 'harrier-busybox-'));
  try {
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'tmp'));
    copyFileSync(findBusybox(), join(root, 'bin', 'busybox'));
    for (const applet of BUSYBOX_APPLETS) symlinkSync('busybox', join(root, 'bin', applet));
    const tar = execFileSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
    execFileSync('docker', ['import', '--change', 'ENV PATH=/bin', '-', BUSYBOX_IMAGE], { input: tar, stdio: ['pipe', 'pipe', 'pipe'] });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return BUSYBOX_IMAGE;
}
