import { execFileSync } from 'node:child_process';

/**
 * Whether a Docker engine answers here. Tests that need one call `dockerOrSkip(t)`: without an
 * engine they skip with the reason printed, except under CI=true, where a missing engine fails.
 */
let cached: { ok: true } | { ok: false; reason: string } | undefined;

export function dockerStatus(): { ok: true } | { ok: false; reason: string } {
  if (cached) return cached;
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe', timeout: 10_000 });
    cached = { ok: true };
  } catch (error) {
    const detail = error instanceof Error && 'stderr' in error ? String((error as { stderr: unknown }).stderr).trim() : String(error);
    cached = { ok: false, reason: `no Docker engine answers (${detail.split('\n')[0] || 'docker not installed'}); run .ci/run or start dockerd` };
  }
  return cached;
}

export function dockerOrSkip(t: { skip(message?: string): void }): boolean {
  const reason = dockerUnavailable();
  if (reason === undefined) return true;
  console.log(`# SKIPPED (Docker): ${reason}`);
  t.skip(reason);
  return false;
}

/** For a suite's set-up: undefined when an engine answers, else why not; under CI=true a missing engine throws. */
export function dockerUnavailable(): string | undefined {
  const status = dockerStatus();
  if (status.ok) return undefined;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${status.reason}`);
  return status.reason;
}
