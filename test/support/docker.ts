import { execFileSync, spawn } from 'node:child_process';

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

/**
 * Every container Docker creates with `label` (`key=value`), from Docker's own event stream, counted
 * per execution id and attempt: the one record of creates that outlives the containers' removal.
 */
export function watchContainerCreates(label: string): { creates: Map<string, number>; stop(): void } {
  const creates = new Map<string, number>();
  const child = spawn('docker', ['events', '--filter', 'type=container', '--filter', 'event=create',
    '--filter', `label=${label}`, '--format', '{{json .Actor.Attributes}}']);
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      const labels = JSON.parse(line) as Record<string, string>;
      const key = `${labels['harrier.io/execution-id']}/${labels['harrier.io/attempt']}`;
      creates.set(key, (creates.get(key) ?? 0) + 1);
    }
  });
  return { creates, stop: () => child.kill('SIGTERM') };
}
