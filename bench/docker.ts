/**
 * Docker runner figures (issue 3): overhead per task against a plain `docker run --rm` loop measured
 * in the same run, and 1 GiB in and 1 GiB out through the VOLUME strategy. Both need a Docker engine
 * and the local busybox test image (built on first use, nothing is pulled).
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/index.ts';
import { ensureBusyboxImage } from '../test/support/images.ts';
import { harrierArgs, measure, median, report, tempDir, writeFlow, type Measured } from './support.ts';

const GIB = 1024 ** 3;
/** Marks the plain loop's containers, to read their engine events. */
const LOOP_LABEL = `harrier.bench=docker-run-loop-${process.pid}`;
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

interface ContainerEvent {
  id: string;
  action: string;
  /** The harrier execution that made the container, if any. */
  executionId?: string;
  /** Milliseconds since the epoch, from the engine's nanosecond time. */
  at: number;
}

/**
 * Records the engine's events for the containers carrying `label` (key=value) from now until
 * stopped. Followed live: the engine keeps only its last few hundred events for `--since` queries,
 * and other processes on this machine fill that quickly.
 */
async function recordContainerEvents(label: string): Promise<{ stop(): Promise<ContainerEvent[]> }> {
  const child = spawn('docker', ['events', '--filter', 'type=container', '--filter', `label=${label}`, '--format', '{{json .}}'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  // No signal says the subscription is in place: give the CLI a moment to connect.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return {
    async stop() {
      // The engine sends events as they happen; a short wait lets the last ones (destroy) arrive.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill();
      await closed;
      return text.split('\n').filter(Boolean).map((line) => {
        const event = JSON.parse(line) as { Actor: { ID: string; Attributes?: Record<string, string> }; Action: string; timeNano: number };
        return { id: event.Actor.ID, action: event.Action.split(':')[0], at: event.timeNano / 1e6, executionId: event.Actor.Attributes?.['harrier.io/execution-id'] };
      });
    },
  };
}

function between(events: ContainerEvent[], from: string, to: string): number {
  const start = events.find((e) => e.action === from);
  const end = events.find((e) => e.action === to);
  if (!start || !end) throw new Error(`no '${from}' or '${to}' event among ${events.map((e) => e.action).join(', ')}`);
  return end.at - start.at;
}

/** Medians over the containers of a run: create → start, start → die, die → destroy, destroy → next create. */
function phases(events: ContainerEvent[]): string {
  const byId = new Map<string, ContainerEvent[]>();
  for (const event of events) byId.set(event.id, [...(byId.get(event.id) ?? []), event]);
  const containers = [...byId.values()].filter((list) => ['create', 'start', 'die', 'destroy'].every((a) => list.some((e) => e.action === a)));
  containers.sort((a, b) => a[0].at - b[0].at);
  const at = (list: ContainerEvent[], action: string): number => list.find((e) => e.action === action)!.at;
  const gaps = containers.slice(1).map((list, i) => at(list, 'create') - at(containers[i], 'destroy'));
  const med = (values: number[]): string => (values.length ? median(values).toFixed(0) : '?');
  return `create → start ${med(containers.map((c) => between(c, 'create', 'start')))} ms, start → die ${med(containers.map((c) => between(c, 'start', 'die')))} ms,`
    + ` die → destroy ${med(containers.map((c) => between(c, 'die', 'destroy')))} ms, destroy → next create ${med(gaps)} ms (medians of ${containers.length} containers)`;
}

/** The one execution of a state directory: events of other runs of the same flow are not ours. */
async function executionOf(stateDir: string): Promise<string> {
  const store = await SqliteStore.open(stateDir);
  try {
    return (await store.listExecutions(1))[0].id;
  } finally {
    await store.close();
  }
}

/** Gaps between successive task ends: what each task after the first cost, start-up excluded. */
async function taskSpacings(stateDir: string): Promise<number[]> {
  const store = await SqliteStore.open(stateDir);
  try {
    const ends = (await store.taskRuns((await store.listExecutions(1))[0].id)).map((taskRun) => Date.parse(taskRun.endedAt!));
    return ends.slice(1).map((end, i) => end - ends[i]);
  } finally {
    await store.close();
  }
}

/**
 * N sequential `true` tasks in containers against N × `docker run --rm IMAGE sh -c true`, rounds
 * alternating which side goes first. The headline ratio compares medians of single tasks and single
 * `docker run`s, which a load spike from other processes on this machine moves far less than totals.
 */
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
  const dockerRunTimes: number[] = [];
  const runTimes: number[] = [];
  const startupTimes: number[] = [];
  const spacings: number[] = [];
  const events: ContainerEvent[] = [];
  const loopEvents: ContainerEvent[] = [];
  const plainLoop = async (): Promise<void> => {
    const recording = await recordContainerEvents(LOOP_LABEL);
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const one = performance.now();
      const run = spawnSync('docker', ['run', '--rm', '--label', LOOP_LABEL, image, 'sh', '-c', 'true'], { stdio: 'pipe' });
      if (run.status !== 0) throw new Error(`docker run failed: ${run.stderr}`);
      dockerRunTimes.push(performance.now() - one);
    }
    loopTimes.push(performance.now() - started);
    loopEvents.push(...(await recording.stop()));
  };
  const harrierRuns = async (): Promise<void> => {
    const recording = await recordContainerEvents('harrier.io/flow-id=docker_overhead');
    const run = await runHarrier(flow);
    const execution = await executionOf(run.stateDir);
    events.push(...(await recording.stop()).filter((event) => event.executionId === execution));
    runTimes.push(run.ms);
    spacings.push(...(await taskSpacings(run.stateDir)));
    rmSync(run.stateDir, { recursive: true, force: true });
    const startup = await runHarrier(empty);
    startupTimes.push(startup.ms);
    rmSync(startup.stateDir, { recursive: true, force: true });
  };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await plainLoop();
      await harrierRuns();
    } else {
      await harrierRuns();
      await plainLoop();
    }
  }
  rmSync(join(flow, '..'), { recursive: true, force: true });
  rmSync(join(empty, '..'), { recursive: true, force: true });
  const loop = median(loopTimes);
  const startup = median(startupTimes);
  const totalsRatio = (median(runTimes) - startup) / loop;
  const perRound = runTimes.map((run, i) => ((run - startupTimes[i]) / loopTimes[i]).toFixed(2)).join(', ');
  const ratio = median(spacings) / median(dockerRunTimes);
  report(`Docker runner: overhead per task (${count} sequential \`true\` tasks, VOLUME strategy, pullPolicy NEVER)`, {
    'load average before (1, 5, 15 min)': loadBefore,
    [`one docker run --rm IMAGE sh -c true (median of ${dockerRunTimes.length})`]: `${median(dockerRunTimes).toFixed(0)} ms`,
    [`one task under harrier, gap between successive task ends (median of ${spacings.length})`]: `${median(spacings).toFixed(0)} ms`,
    [`plain loop of ${count} (median of ${rounds})`]: `${loop.toFixed(0)} ms`,
    [`harrier run of the ${count}-task flow (median of ${rounds}); start-up, one Log task`]: `${median(runTimes).toFixed(0)} ms; ${startup.toFixed(0)} ms`,
    'totals ratio per round, (run − start-up) / loop': perRound,
    'totals ratio of medians': totalsRatio.toFixed(3),
    'ratio, median task / median docker run': ratio.toFixed(3),
    'where a harrier task\'s time goes (engine events; die → destroy holds log drain, inspect, output download, removal)': phases(events),
    'where a plain docker run\'s time goes (engine events)': phases(loopEvents),
    'load average after': loadAverage(),
  }, 'under 1.2× (median task / median docker run)', ratio < 1.2);
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
    const smallRecording = await recordContainerEvents('harrier.io/flow-id=docker_files_small');
    const baseline = await runHarrier(smallFlow, ['--input', `data=@${small}`]);
    stateDirs.push(baseline.stateDir);
    const smallExecution = await executionOf(baseline.stateDir);
    const smallEvents = (await smallRecording.stop()).filter((event) => event.executionId === smallExecution);
    const bigRecording = await recordContainerEvents('harrier.io/flow-id=docker_files');
    const run = await runHarrier(bigFlow, ['--input', `data=@${big}`]);
    stateDirs.push(run.stateDir);
    const bigExecution = await executionOf(run.stateDir);
    const bigEvents = (await bigRecording.stop()).filter((event) => event.executionId === bigExecution);
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
      'peak RSS growth over the baseline run': `${growth.toFixed(0)} MiB (${(growth * 1.048576).toFixed(0)} MB)`,
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
