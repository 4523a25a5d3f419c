/**
 * Docker runner figures (issue 3): overhead per task against a plain `docker run --rm` loop measured
 * in the same run, and 1 GiB in and 1 GiB out through the VOLUME strategy. Both need a Docker engine
 * and the local busybox test image (built on first use, nothing is pulled).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ensureBusyboxImage } from '../test/support/images.ts';
import { harrierArgs, measure, median, report, tempDir, writeFlow, type Measured } from './support.ts';

const GIB = 1024 ** 3;
const MB = 1e6;

function dockerAvailable(): boolean {
  const version = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe' });
  if (version.status === 0) return true;
  console.log('\n## Docker runner\n- skipped: no Docker engine answers here (start dockerd or set DOCKER_HOST)');
  return false;
}

export function loadAverage(): string {
  return loadavg().map((value) => value.toFixed(2)).join(', ');
}

function dockerTask(id: string, image: string, body: string): string {
  return `  - id: ${id}
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${image}
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
      pullPolicy: NEVER
      fileHandlingStrategy: VOLUME
${body}`;
}

async function runHarrier(flow: string, extra: string[] = []): Promise<Measured & { stateDir: string }> {
  const stateDir = tempDir('harrier-bench-state-');
  const run = await measure(...harrierArgs('run', flow, '--state-dir', stateDir, ...extra), { discardStdout: true });
  if (run.code !== 0) {
    rmSync(stateDir, { recursive: true, force: true });
    throw new Error(`harrier run of ${flow} failed (exit ${run.code}): ${run.stderr.slice(-2000)}`);
  }
  return { ...run, stateDir };
}

/** N sequential `true` tasks in containers against N × `docker run --rm IMAGE sh -c true`, rounds interleaved. */
export async function dockerOverhead(): Promise<void> {
  if (!dockerAvailable()) return;
  const image = ensureBusyboxImage();
  const count = 20;
  const rounds = 5;
  const tasks = Array.from({ length: count }, (_, i) => dockerTask(`t${i}`, image, '    commands: ["true"]\n')).join('');
  const flow = writeFlow('docker-overhead', `id: docker_overhead\nnamespace: bench\ntasks:\n${tasks}`);
  const empty = writeFlow('startup', 'id: startup\nnamespace: bench\ntasks:\n  - id: only\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n');
  const loadBefore = loadAverage();
  const loopTimes: number[] = [];
  const runTimes: number[] = [];
  const startupTimes: number[] = [];
  const plainLoop = (): void => {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const run = spawnSync('docker', ['run', '--rm', image, 'sh', '-c', 'true'], { stdio: 'pipe' });
      if (run.status !== 0) throw new Error(`docker run failed: ${run.stderr}`);
    }
    loopTimes.push(performance.now() - started);
  };
  const harrierRuns = async (): Promise<void> => {
    for (const [target, times] of [[flow, runTimes], [empty, startupTimes]] as const) {
      const run = await runHarrier(target);
      times.push(run.ms);
      rmSync(run.stateDir, { recursive: true, force: true });
    }
  };
  // Alternating which side goes first spreads the load of the other processes on this machine over both.
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      plainLoop();
      await harrierRuns();
    } else {
      await harrierRuns();
      plainLoop();
    }
  }
  rmSync(join(flow, '..'), { recursive: true, force: true });
  rmSync(join(empty, '..'), { recursive: true, force: true });
  const loop = median(loopTimes);
  const startup = median(startupTimes);
  const tasksTime = median(runTimes) - startup;
  const ratio = tasksTime / loop;
  const perRound = runTimes.map((run, i) => ((run - startupTimes[i]) / loopTimes[i]).toFixed(2)).join(', ');
  report(`Docker runner: overhead per task (${count} sequential \`true\` tasks, VOLUME strategy, pullPolicy NEVER)`, {
    'load average before (1, 5, 15 min)': loadBefore,
    [`plain loop, ${count} × docker run --rm IMAGE sh -c true (median of ${rounds})`]: `${loop.toFixed(0)} ms, ${(loop / count).toFixed(0)} ms per container`,
    [`harrier run of the ${count}-task flow (median of ${rounds})`]: `${median(runTimes).toFixed(0)} ms`,
    [`harrier start-up, one Log task (median of ${rounds})`]: `${startup.toFixed(0)} ms`,
    'per task under harrier, (run − start-up) / tasks': `${(tasksTime / count).toFixed(0)} ms`,
    'ratio per round, (run − start-up) / loop': perRound,
    'ratio of medians, harrier per task / docker run per container': ratio.toFixed(2),
    'load average after': loadAverage(),
  }, 'under 1.2×', ratio < 1.2);
}

interface ContainerEvent {
  action: string;
  /** Milliseconds since the epoch, from the engine's nanosecond time. */
  at: number;
}

/** The engine's events for the containers of one flow between two instants. */
function containerEvents(flowId: string, sinceMs: number, untilMs: number): ContainerEvent[] {
  const events = spawnSync('docker', [
    'events', '--since', String(Math.floor(sinceMs / 1000) - 1), '--until', String(Math.ceil(untilMs / 1000) + 1),
    '--filter', 'type=container', '--filter', `label=harrier.io/flow-id=${flowId}`, '--format', '{{json .}}',
  ], { encoding: 'utf8' });
  return events.stdout.split('\n').filter(Boolean).map((line) => {
    const event = JSON.parse(line) as { Action: string; timeNano: number };
    return { action: event.Action.split(':')[0], at: event.timeNano / 1e6 };
  });
}

function between(events: ContainerEvent[], from: string, to: string): number {
  const start = events.find((e) => e.action === from);
  const end = events.find((e) => e.action === to);
  if (!start || !end) throw new Error(`no '${from}' or '${to}' event among ${events.map((e) => e.action).join(', ')}`);
  return end.at - start.at;
}

/**
 * A 1 GiB FILE input goes into the container and a 1 GiB output file comes back (VOLUME). The
 * same flow with 1 KiB files is the baseline for RSS and for the fixed costs of each step.
 */
export async function dockerFiles(): Promise<void> {
  if (!dockerAvailable()) return;
  const image = ensureBusyboxImage();
  const dataDir = tempDir('harrier-bench-data-');
  const flowFor = (id: string, outBytes: number): string => writeFlow(id, `id: ${id}
namespace: bench
inputs:
  - id: data
    type: FILE
tasks:
${dockerTask('roundtrip', image, `    inputFiles:
      in.bin: "{{ inputs.data }}"
    outputFiles: ["out.bin"]
    commands:
      - wc -c < in.bin
      - head -c ${outBytes} /dev/zero > out.bin
`)}`);
  const big = join(dataDir, 'input.bin');
  const small = join(dataDir, 'small.bin');
  // Zeros written through the page cache: fast to make, and the runner streams them like any bytes.
  spawnSync('sh', ['-c', `head -c ${GIB} /dev/zero > '${big}' && head -c 1024 /dev/zero > '${small}'`]);
  const bigFlow = flowFor('docker_files', GIB);
  const smallFlow = flowFor('docker_files_small', 1024);
  const stateDirs: string[] = [];
  try {
    const loadBefore = loadAverage();
    const smallStart = Date.now();
    const baseline = await runHarrier(smallFlow, ['--input', `data=@${small}`]);
    stateDirs.push(baseline.stateDir);
    const smallEvents = containerEvents('docker_files_small', smallStart, Date.now());
    const bigStart = Date.now();
    const run = await runHarrier(bigFlow, ['--input', `data=@${big}`]);
    stateDirs.push(run.stateDir);
    const bigEvents = containerEvents('docker_files', bigStart, Date.now());
    // create → start holds the working-directory upload (putArchive); die → destroy holds the log
    // drain, the output download (getArchive) and the container's removal. The baseline's same
    // intervals are the fixed costs.
    const inMs = between(bigEvents, 'create', 'start') - between(smallEvents, 'create', 'start');
    const outMs = between(bigEvents, 'die', 'destroy') - between(smallEvents, 'die', 'destroy');
    const growth = run.peakRssMiB - baseline.peakRssMiB;
    report('Docker runner: 1 GiB in and 1 GiB out through the VOLUME strategy', {
      'load average before (1, 5, 15 min)': loadBefore,
      'harrier run, 1 KiB in and out (baseline)': `${baseline.ms.toFixed(0)} ms, peak RSS ${baseline.peakRssMiB.toFixed(0)} MiB`,
      'harrier run, 1 GiB FILE input in, 1 GiB output file out': `${run.ms.toFixed(0)} ms, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`,
      'in: container create → start (the upload), minus the baseline\'s': `${inMs.toFixed(0)} ms → ${(GIB / MB / (inMs / 1000)).toFixed(0)} MB/s`,
      'out: container die → destroy (log drain, download, removal), minus the baseline\'s': `${outMs.toFixed(0)} ms → ${(GIB / MB / (outMs / 1000)).toFixed(0)} MB/s`,
      'whole run: 2 GiB over (run − baseline), storage copies included': `${((2 * GIB) / MB / ((run.ms - baseline.ms) / 1000)).toFixed(0)} MB/s`,
      'peak RSS growth over the baseline run': `${growth.toFixed(0)} MiB`,
      'load average after': loadAverage(),
    }, 'RSS growth under 64 MB', growth * 1.048576 < 64);
  } finally {
    for (const dir of [dataDir, ...stateDirs, join(bigFlow, '..'), join(smallFlow, '..')]) rmSync(dir, { recursive: true, force: true });
  }
}

export async function dockerBenches(): Promise<void> {
  await dockerOverhead();
  await dockerFiles();
}
