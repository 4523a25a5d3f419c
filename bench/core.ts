import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/index.ts';
import { PackageInstaller } from '../test/support/install.ts';
import { harrierArgs, measure, median, report, tempDir, writeFlow } from './support.ts';

/** Overhead per task: 200 sequential `true` tasks against 200 plain spawns of `/bin/sh -c true`. */
export async function taskOverhead(): Promise<void> {
  const count = 200;
  const tasks = Array.from({ length: count }, (_, i) => `  - id: t${i}\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: ["true"]\n`).join('');
  const flow = writeFlow('overhead', `id: overhead\nnamespace: bench\ntasks:\n${tasks}`);
  const empty = writeFlow('startup', 'id: startup\nnamespace: bench\ntasks:\n  - id: only\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n');
  const harrierTimes: number[] = [];
  const startupTimes: number[] = [];
  const loopTimes: number[] = [];
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    for (let i = 0; i < count; i++) spawnSync('/bin/sh', ['-c', 'true']);
    loopTimes.push(performance.now() - started);
    const run = await measure(...harrierArgs('run', flow, '--state-dir', tempDir('harrier-bench-state-')), { discardStdout: true });
    if (run.code !== 0) throw new Error(`harrier run failed: ${run.stderr}`);
    harrierTimes.push(run.ms);
    startupTimes.push((await measure(...harrierArgs('run', empty, '--state-dir', tempDir('harrier-bench-state-')), { discardStdout: true })).ms);
  }
  const loop = median(loopTimes);
  const total = median(harrierTimes);
  const startup = median(startupTimes);
  const perTask = (total - startup - loop) / count;
  report('Process runner: overhead per task (200 sequential `true` tasks)', {
    'plain loop, 200 × spawn /bin/sh -c true (median of 3)': `${loop.toFixed(0)} ms (${(loop / count).toFixed(2)} ms per spawn)`,
    'harrier run of the 200-task flow (median of 3)': `${total.toFixed(0)} ms`,
    'harrier start-up (one Log task, median of 3)': `${startup.toFixed(0)} ms`,
    'overhead per task, (run − start-up − loop) / 200': `${perTask.toFixed(2)} ms`,
    'ratio harrier run / plain loop': (total / loop).toFixed(2),
  }, 'at most 5 ms of overhead per task', perTask <= 5);
}

/** One task printing 1,000,000 lines: all stored in order; lines per second and peak RSS. */
export async function logThroughput(): Promise<void> {
  const lines = 1_000_000;
  const flow = writeFlow('logs', `id: logs\nnamespace: bench\ntasks:\n  - id: print\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: ["seq 1 ${lines}"]\n`);
  const stateDir = tempDir('harrier-bench-state-');
  const baseline = await measure('/bin/sh', ['-c', `seq 1 ${lines}`], { discardStdout: true });
  const run = await measure(...harrierArgs('run', flow, '--state-dir', stateDir), { discardStdout: true });
  if (run.code !== 0) throw new Error(`harrier run failed: ${run.stderr}`);
  const store = await SqliteStore.open(stateDir);
  const [execution] = await store.listExecutions(1);
  let stored = 0;
  let inOrder = true;
  for (let afterSeq = 0; ;) {
    const page = await store.logs(execution.id, { afterSeq, limit: 100_000 });
    if (page.length === 0) break;
    for (const record of page) {
      if (record.stream !== 'stdout') continue;
      stored++;
      inOrder &&= record.line === String(stored);
    }
    afterSeq = page.at(-1)!.seq!;
  }
  await store.close();
  inOrder &&= stored === lines;
  const perSecond = lines / (run.ms / 1000);
  report('Logs: one task printing 1,000,000 lines', {
    'plain `seq 1 1000000` to /dev/null': `${baseline.ms.toFixed(0)} ms`,
    'harrier run (stdout to /dev/null)': `${run.ms.toFixed(0)} ms (${(run.ms / baseline.ms).toFixed(1)}× the plain command)`,
    'lines stored': `${stored} (${inOrder ? 'all, in order' : 'MISSING OR OUT OF ORDER'})`,
    'lines per second stored (whole run, start-up included)': Math.round(perSecond).toLocaleString('en-US'),
    'peak RSS of the harrier process': `${run.peakRssMiB.toFixed(0)} MiB`,
  }, '≥ 300,000 lines/s stored, peak RSS < 256 MB, no line lost', perSecond >= 300_000 && run.peakRssMiB < 256 && inOrder);
}

/**
 * Start-up: `harrier run` of a one-task flow, as installed from the packed tarball (npm install
 * --global into a temporary prefix), against `node -e 0`. Harrier keeps V8's code cache of its
 * bundle in the user's cache dir (bin/harrier.ts): measured warm (the cache written by an untimed
 * first run, as every start after a user's first has it) and at a first start (an empty cache dir
 * each run, so each also pays for writing the cache).
 */
export async function startup(): Promise<void> {
  const flow = writeFlow('startup', 'id: startup\nnamespace: bench\ntasks:\n  - id: only\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n');
  const installer = new PackageInstaller(tempDir('harrier-bench-install-'));
  const installed = join(installer.installGlobally(installer.pack()), 'bin', 'harrier');
  const load = loadavg().map((value) => value.toFixed(2)).join(', ');
  const warm = { XDG_CACHE_HOME: tempDir('harrier-bench-cache-') };
  const run = (stateDir: string, env: NodeJS.ProcessEnv) => measure(installed, ['run', flow, '--state-dir', stateDir], { discardStdout: true, env });
  await run(tempDir('harrier-bench-state-'), warm);
  const nodeTimes: number[] = [];
  const harrierTimes: number[] = [];
  const reusedTimes: number[] = [];
  const firstTimes: number[] = [];
  // A user's state dir exists after the first run: measured too, beside a new one per run (the target).
  const reused = tempDir('harrier-bench-state-');
  for (let round = 0; round < 11; round++) {
    nodeTimes.push((await measure(process.execPath, ['-e', '0'])).ms);
    harrierTimes.push((await run(tempDir('harrier-bench-state-'), warm)).ms);
    reusedTimes.push((await run(reused, warm)).ms);
    const emptyCache = tempDir('harrier-bench-cache-');
    firstTimes.push((await run(tempDir('harrier-bench-state-'), { XDG_CACHE_HOME: emptyCache })).ms);
    // About 1 MB each: not left behind in /tmp.
    rmSync(emptyCache, { recursive: true, force: true });
  }
  rmSync(warm.XDG_CACHE_HOME, { recursive: true, force: true });
  const node = median(nodeTimes);
  const ratio = median(harrierTimes) / node;
  const times = (values: number[]) => `${median(values).toFixed(0)} ms (${(median(values) / node).toFixed(2)}×)`;
  report('Start-up: an installed harrier run of a one-task flow vs node -e 0', {
    'load average before (1, 5, 15 min)': load,
    'node -e 0 (median of 11)': `${node.toFixed(0)} ms`,
    'installed harrier run, warm code cache, new state dir (median of 11)': `${median(harrierTimes).toFixed(0)} ms`,
    'installed harrier run, warm code cache, existing state dir (median of 11)': times(reusedTimes),
    'installed harrier run, first start (empty cache dir), new state dir (median of 11)': times(firstTimes),
    'ratio (warm, new state dir)': ratio.toFixed(2),
  }, 'under 3×', ratio < 3);
}
