/**
 * The pod sandbox image (TEST INFRASTRUCTURE): the static `pause` program built from build/pause,
 * `docker import`ed under a tag that is not `latest`, so that no kubelet ever tries to pull it.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PAUSE_IMAGE = 'harrier-test/pause:1';
const DIGEST_LABEL = 'harrier.test.pause-sha256';

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function importedDigest(): string | undefined {
  try {
    return execFileSync('docker', ['image', 'inspect', '--format', `{{ index .Config.Labels "${DIGEST_LABEL}" }}`, PAUSE_IMAGE], { encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return undefined;
  }
}

export async function ensurePauseImage(pauseBinary: string): Promise<string> {
  statSync(pauseBinary);
  const digest = await sha256(pauseBinary);
  if (importedDigest() === digest) return PAUSE_IMAGE;
  const root = mkdtempSync(join(tmpdir(), 'harrier-pause-'));
  try {
    copyFileSync(pauseBinary, join(root, 'pause'));
    execFileSync('sh', ['-c', `chmod 755 '${root}' && tar -C '${root}' -c pause | docker import --change 'ENTRYPOINT ["/pause"]' --change 'LABEL ${DIGEST_LABEL}=${digest}' - '${PAUSE_IMAGE}'`], { stdio: 'pipe' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return PAUSE_IMAGE;
}
