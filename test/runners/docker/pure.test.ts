/** The Docker runner's pure parts: no Docker daemon needed. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { LogEntry } from '../../../src/runners/contract.ts';
import { checkGates, containerCreateOptions, parsePortBindings, resourceName } from '../../../src/runners/docker/container-spec.ts';
import { dockerOptions } from '../../../src/runners/docker/docker-client.ts';
import { parseImageReference, registryAuth, withDefaultTag } from '../../../src/runners/docker/image.ts';
import { DockerLogDecoder } from '../../../src/runners/docker/logs.ts';
import { MAX_LINE_BYTES } from '../../../src/runners/line-splitter.ts';
import { outputRoots } from '../../../src/runners/docker/outputs.ts';
import { formatBytes } from '../../../src/shared/bytes.ts';
import { parseByteSize, parseDockerProperties } from '../../../src/runners/docker/properties.ts';
import { RunnerError } from '../../../src/shared/errors.ts';
import { makeJob } from './job.ts';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function decodeAll(chunks: Buffer[]): LogEntry[] {
  const entries: LogEntry[] = [];
  const decoder = new DockerLogDecoder((entry) => entries.push(entry));
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  return entries;
}

describe('DockerLogDecoder', () => {
  const t1 = '2024-05-01T10:00:00.000000001Z';
  const t2 = '2024-05-01T10:00:00.000000002Z';
  const t3 = '2024-05-01T10:00:01.500000000Z';

  test('separates stdout and stderr and strips the timestamps', () => {
    const entries = decodeAll([frame(1, `${t1} out one\n`), frame(2, `${t2} err one\n`), frame(1, `${t3} out two\n`)]);
    assert.deepEqual(entries, [
      { stream: 'stdout', line: 'out one', timestamp: t1 },
      { stream: 'stderr', line: 'err one', timestamp: t2 },
      { stream: 'stdout', line: 'out two', timestamp: t3 },
    ]);
  });

  test('reassembles frames split across chunks at every byte, multi-byte characters included', () => {
    const bytes = Buffer.concat([frame(1, `${t1} héllo wörld ✓\n`), frame(2, `${t2} second\n`)]);
    for (let cut = 1; cut < bytes.length; cut += 1) {
      const entries = decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.deepEqual(entries.map((entry) => entry.line), ['héllo wörld ✓', 'second'], `cut at ${cut}`);
    }
  });

  test('a line longer than MAX_LINE_BYTES, in 16 KiB messages, comes out in pieces of at most that size, the first marked', () => {
    const total = MAX_LINE_BYTES * 2 + 1000;
    const frames: Buffer[] = [];
    for (let sent = 0; sent < total; sent += 16_384) frames.push(frame(1, `${t1} ${'z'.repeat(Math.min(16_384, total - sent))}`));
    frames.push(frame(1, `${t2} \n`), frame(1, `${t3} after\n`));
    const seen: { length: number; cutStarts: boolean }[] = [];
    const decoder = new DockerLogDecoder((entry, cutStarts) => seen.push({ length: entry.line.length, cutStarts }));
    for (const chunk of frames) decoder.push(chunk);
    decoder.end();
    assert.deepEqual(seen, [
      { length: MAX_LINE_BYTES, cutStarts: true },
      { length: MAX_LINE_BYTES, cutStarts: false },
      { length: 1000, cutStarts: false },
      { length: 5, cutStarts: false },
    ]);
  });

  test('joins partial messages into one line stamped with the first piece, and keeps a last line without newline', () => {
    const entries = decodeAll([frame(1, `${t1} long-`), frame(1, `${t2} line\n`), frame(1, `${t3} no newline`)]);
    assert.deepEqual(entries, [
      { stream: 'stdout', line: 'long-line', timestamp: t1 },
      { stream: 'stdout', line: 'no newline', timestamp: t3 },
    ]);
  });

  test('unterminated last lines of both streams come in log order, as a re-read that skips by count needs', () => {
    const entries = decodeAll([frame(1, `${t1} out\n`), frame(2, `${t2} err tail`), frame(1, `${t1} out tail`)]);
    assert.deepEqual(entries.map((entry) => `${entry.stream} ${entry.line}`), ['stdout out', 'stderr err tail', 'stdout out tail']);
  });

  test('keeps empty lines and strips a carriage return', () => {
    const entries = decodeAll([frame(1, `${t1} \n`), frame(1, `${t2} dos\r\n`)]);
    assert.deepEqual(entries.map((entry) => entry.line), ['', 'dos']);
  });
});

describe('properties', () => {
  test('defaults follow Kestra', () => {
    const properties = parseDockerProperties({ type: 'io.kestra.plugin.scripts.runner.docker.Docker' });
    assert.deepEqual(
      [properties.pullPolicy, properties.fileHandlingStrategy, properties.delete, properties.wait, properties.entryPoint],
      ['ALWAYS', 'VOLUME', true, true, ['']],
    );
  });

  test('a bad value is a one-line RunnerError naming the property', () => {
    assert.throws(() => parseDockerProperties({ pullPolicy: 'SOMETIMES' }), (error: unknown) => {
      assert.ok(error instanceof RunnerError);
      assert.match(error.message, /taskRunner\.pullPolicy/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  });

  test('sizes are binary whatever the spelling', () => {
    assert.equal(parseByteSize('512MB', 'x'), 512 * 1024 ** 2);
    assert.equal(parseByteSize('1g', 'x'), 1024 ** 3);
    assert.equal(parseByteSize('64Mi', 'x'), 64 * 1024 ** 2);
    assert.equal(parseByteSize('1.5GiB', 'x'), 1.5 * 1024 ** 3);
    assert.equal(parseByteSize(4096, 'x'), 4096);
    assert.equal(parseByteSize('100', 'x'), 100);
    assert.throws(() => parseByteSize('lots', 'taskRunner.memory.memory'), /taskRunner\.memory\.memory: 'lots' is not a size/);
    assert.equal(formatBytes(64 * 1024 ** 2), '64 MiB');
    assert.equal(formatBytes(1.5 * 1024 ** 3), '1.5 GiB');
  });
});

describe('image references', () => {
  test('parses registry, repository, tag and digest the way Docker does', () => {
    assert.deepEqual(parseImageReference('python:3.12-slim'), { registry: undefined, repository: 'python', tag: '3.12-slim', digest: undefined });
    assert.deepEqual(parseImageReference('harrier-test/busybox'), { registry: undefined, repository: 'harrier-test/busybox', tag: undefined, digest: undefined });
    assert.equal(parseImageReference('localhost:5000/a/b:1').registry, 'localhost:5000');
    assert.equal(parseImageReference('ghcr.io/org/tool@sha256:' + 'ab'.repeat(32)).digest, 'sha256:' + 'ab'.repeat(32));
    assert.equal(withDefaultTag('busybox', parseImageReference('busybox')), 'busybox:latest');
  });

  for (const bad of ['Ubuntu', 'foo::bar', 'a b', 'x/Y', 'tag:', '']) {
    test(`'${bad}' is a one-line error`, () => {
      assert.throws(() => parseImageReference(bad), /is not a valid image reference/);
    });
  }

  test('credentials and config.json become the Docker auth for the image registry', () => {
    const fromCredentials = registryAuth(parseDockerProperties({ credentials: { username: 'u', password: 'p', registry: 'ghcr.io' } }), parseImageReference('ghcr.io/o/i:1'));
    assert.deepEqual(fromCredentials, { username: 'u', password: 'p', serveraddress: 'ghcr.io' });
    const config = { auths: { 'ghcr.io': { auth: Buffer.from('me:secret').toString('base64') } } };
    const fromConfig = registryAuth(parseDockerProperties({ config: JSON.stringify(config) }), parseImageReference('ghcr.io/o/i:1'));
    assert.deepEqual(fromConfig, { serveraddress: 'ghcr.io', username: 'me', password: 'secret' });
    assert.equal(registryAuth(parseDockerProperties({ config }), parseImageReference('docker.example.com/x')), undefined);
  });
});

describe('Docker daemon address', () => {
  test('unix sockets, tcp with and without TLS, ssh', () => {
    assert.deepEqual(dockerOptions('unix:///run/docker.sock', {}), { socketPath: '/run/docker.sock' });
    assert.deepEqual(dockerOptions('tcp://10.0.0.1:2375', {}), { protocol: 'http', host: '10.0.0.1', port: '2375' });
    assert.equal(dockerOptions('tcp://10.0.0.1', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent' }).protocol, 'https');
    assert.equal(dockerOptions('ssh://me@host', {}).protocol, 'ssh');
    assert.throws(() => dockerOptions('ftp://x', {}), /is not a Docker engine address/);
  });
});

describe('container spec', () => {
  test('command, entry point, env, working directory, labels, limits and the volume', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'harrier-docker-spec-'));
    after(() => rmSync(scratch, { recursive: true, force: true }));
    const { job } = makeJob({ hostWorkingDir: scratch, script: 'echo hi' });
    const properties = parseDockerProperties({ memory: { memory: '64Mi', memorySwap: '128m' }, cpu: { cpus: 1.5 }, shmSize: '1g', user: '1000', portBindings: ['8080:80'] });
    const options = containerCreateOptions(job, properties, { name: 'n', image: 'img:1', volumeName: 'vol' });
    assert.deepEqual(options.Cmd, ['/bin/sh', '-c', 'echo hi']);
    assert.deepEqual(options.Entrypoint, ['']);
    assert.equal(options.WorkingDir, scratch);
    assert.ok(options.Env?.includes(`WORKING_DIR=${scratch}`));
    assert.equal(options.User, '1000');
    assert.equal(options.Labels?.['harrier.io/task-run-id'], job.identity.taskRunId);
    assert.equal(options.Labels?.['harrier.io/attempt'], '1');
    assert.deepEqual(options.HostConfig?.Binds, [`vol:${scratch}`]);
    assert.equal(options.HostConfig?.Memory, 64 * 1024 ** 2);
    assert.equal(options.HostConfig?.MemorySwap, 128 * 1024 ** 2);
    assert.equal(options.HostConfig?.NanoCpus, 1.5e9);
    assert.equal(options.HostConfig?.ShmSize, 1024 ** 3);
    assert.deepEqual(options.HostConfig?.PortBindings, { '80/tcp': [{ HostPort: '8080' }] });
    const mount = containerCreateOptions(job, parseDockerProperties({ fileHandlingStrategy: 'MOUNT' }), { name: 'n', image: 'img:1' });
    assert.deepEqual(mount.HostConfig?.Binds, [`${scratch}:${scratch}`]);
  });

  test('names are Docker-safe', () => {
    const name = resourceName({ executionId: 'e', taskRunId: 'r', attempt: 1, namespace: 'Company.Team', flowId: 'My Flow!', taskId: 'x' });
    assert.match(name, /^harrier-company\.team-my-flow-x-[0-9a-f]{8}$/);
  });

  test('port bindings use the docker run -p syntax', () => {
    assert.deepEqual(parsePortBindings(['127.0.0.1:5432:5432/udp', '9000']).bindings, {
      '5432/udp': [{ HostIp: '127.0.0.1', HostPort: '5432' }],
      '9000/tcp': [{ HostPort: '' }],
    });
    assert.throws(() => parsePortBindings(['eighty']), /is not a port binding/);
  });

  test('volumes and privileged need the installation to enable them', () => {
    const volumes = parseDockerProperties({ volumes: ['/data:/data'] });
    const privileged = parseDockerProperties({ privileged: true });
    const saying = (pattern: RegExp) => (error: unknown) => error instanceof RunnerError && pattern.test(error.userMessage());
    assert.throws(() => checkGates(volumes, { volumesEnabled: false, privilegedEnabled: false }), saying(/volumes is disabled.*HARRIER_DOCKER_VOLUMES_ENABLED=true/));
    assert.throws(() => checkGates(privileged, { volumesEnabled: true, privilegedEnabled: false }), saying(/privileged is disabled.*HARRIER_DOCKER_PRIVILEGED_ENABLED=true/));
    assert.doesNotThrow(() => checkGates(volumes, { volumesEnabled: true, privilegedEnabled: false }));
    assert.doesNotThrow(() => checkGates(privileged, { volumesEnabled: false, privilegedEnabled: true }));
  });
});

describe('output roots', () => {
  test('fetch only the folders and files that can hold outputs', () => {
    assert.deepEqual(outputRoots([], 'out'), ['out']);
    assert.deepEqual(outputRoots(['reports/**/*.csv', 'reports/2024/*.csv', 'out/x'], 'out'), ['out', 'reports']);
    assert.deepEqual(outputRoots(['*.csv'], 'out'), ['']);
    assert.deepEqual(outputRoots(['result.json'], 'out'), ['out', 'result.json']);
    assert.deepEqual(outputRoots(['data/result.json', 'out/x.txt'], 'out'), ['out', 'data/result.json']);
    assert.deepEqual(outputRoots(['regex:.*'], 'out'), ['']);
  });
});
