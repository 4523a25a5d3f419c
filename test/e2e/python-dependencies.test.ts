import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dockerOrSkip } from '../support/docker.ts';
import { flowFile, runJson, taskRun, tempStateDir } from '../support/harrier.ts';
import { ensureBusyboxAlias, ensurePythonImage } from '../support/images.ts';
import { availableBackends, startBackend, type KubeBackend, kubeconfigFile } from '../support/kube-backends.ts';

/**
 * Python `dependencies` with real packages from PyPI, installed by the harrier binary with pip and
 * with uv (itself installed from PyPI into a throwaway venv), on the Process runner, in Docker and on
 * Kubernetes. The test image has no pip at all: the libraries travel with the working directory.
 */
function pypiUnreachable(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-pypi-'));
  try {
    execFileSync('python3', ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-q', '-d', dir, 'six==1.17.0'], { stdio: 'pipe', timeout: 60_000 });
    return undefined;
  } catch (error) {
    const reason = `PyPI cannot be reached with pip from this machine (${String((error as { stderr?: unknown }).stderr ?? error).trim().split('\n').pop()})`;
    if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
    return reason;
  }
}

const unreachable = pypiUnreachable();
if (unreachable) console.log(`# SKIPPED (Python dependencies): ${unreachable}`);

function pythonFlow(properties: string, script = 'import six, idna\nprint("six", six.__version__, "idna", idna.__version__)'): string {
  return flowFile(`id: py_deps
namespace: company.team
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
${properties.replace(/^/gm, '    ')}
    script: |
${script.replace(/^/gm, '      ')}
`);
}

function cacheEntries(stateDir: string): string[] {
  const dir = join(stateDir, 'cache', 'python');
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('Python dependencies from PyPI', { skip: unreachable }, () => {
  let uvBin = '';

  before(() => {
    const venv = mkdtempSync(join(tmpdir(), 'harrier-uv-'));
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'pipe' });
    execFileSync(join(venv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', 'uv'], { stdio: 'pipe', timeout: 180_000 });
    uvBin = join(venv, 'bin');
  });

  const withoutUv = { UV_PATH: '/nonexistent/uv' };

  test('PIP on the Process runner: installed, imported, then served from the cache whatever the order', async () => {
    const stateDir = tempStateDir();
    const first = await runJson(pythonFlow('packageManager: PIP\ndependencies: [six==1.17.0, idna==3.10]'), stateDir, [], { env: withoutUv });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /\[py\] installing Python dependencies for 3\.\d+ with pip: six==1\.17\.0, idna==3\.10/);
    assert.match(first.stderr, /\[py\] six 1\.17\.0 idna 3\.10/);
    assert.equal(cacheEntries(stateDir).length, 1);
    const again = await runJson(pythonFlow('packageManager: PIP\ndependencies: [idna==3.10, six==1.17.0]'), stateDir, [], { env: withoutUv });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /\[py\] Python dependencies for 3\.\d+ from the cache/);
    assert.doesNotMatch(again.stderr, /installing/);
    assert.equal(cacheEntries(stateDir).length, 1);
  });

  test('UV (the default) installs with uv when it is on the PATH; without it, pip with a warning', async () => {
    const withUv = await runJson(pythonFlow('dependencies: [six==1.16.0, idna==3.10]'), tempStateDir(), [], { env: { PATH: `${uvBin}:${process.env.PATH}` } });
    assert.equal(withUv.code, 0, withUv.stderr);
    assert.match(withUv.stderr, /installing Python dependencies for 3\.\d+ with uv: six==1\.16\.0, idna==3\.10/);
    assert.match(withUv.stderr, /\[py\] six 1\.16\.0 idna 3\.10/);
    const fallback = await runJson(pythonFlow('packageManager: uv\ndependencies: [six==1.16.0, idna==3.10]'), tempStateDir(), [], { env: withoutUv });
    assert.equal(fallback.code, 0, fallback.stderr);
    assert.match(fallback.stderr, /packageManager UV: '\/nonexistent\/uv' is not on harrier's PATH .*installing with pip instead/);
    assert.match(fallback.stderr, /with pip: six==1\.16\.0/);
  });

  test('an unknown package fails the task in one line; dependencyCacheEnabled false keeps nothing', async () => {
    const stateDir = tempStateDir();
    const failed = await runJson(pythonFlow('packageManager: PIP\ndependencies: [harrier-no-such-package-4242]'), stateDir, [], { env: withoutUv });
    assert.equal(failed.code, 1);
    const error = taskRun(failed.doc, 'py').attempts[0].error ?? '';
    assert.match(error, /^pip could not install the dependencies \(exit 1\): ERROR: No matching distribution found for harrier-no-such-package-4242/);
    assert.equal(error.split('\n').length, 1);
    assert.deepEqual(cacheEntries(stateDir), [], 'a failed install leaves nothing in the cache');
    const uncached = await runJson(pythonFlow('packageManager: PIP\ndependencyCacheEnabled: false\ndependencies: [six==1.17.0, idna==3.10]'), stateDir, [], { env: withoutUv });
    assert.equal(uncached.code, 0, uncached.stderr);
    assert.match(uncached.stderr, /\[py\] six 1\.17\.0 idna 3\.10/);
    assert.deepEqual(cacheEntries(stateDir), []);
  });

  test('Docker: an image without pip runs the script with the dependencies, cached on the host', async (t) => {
    if (!dockerOrSkip(t)) return;
    const stateDir = tempStateDir();
    const properties = `containerImage: ${ensurePythonImage()}\ntaskRunner: {type: io.kestra.plugin.scripts.runner.docker.Docker, pullPolicy: NEVER}\ndependencies: [six==1.17.0, idna==3.10]`;
    const env = { PATH: `${uvBin}:${process.env.PATH}` };
    const script = 'import six, idna, shutil\nprint("six", six.__version__, "idna", idna.__version__, "pip in image:", shutil.which("pip") is not None)';
    const first = await runJson(pythonFlow(properties, script), stateDir, [], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(taskRun(first.doc, 'py').attempts[0].runner, 'docker');
    assert.match(first.stderr, /\[py\] six 1\.17\.0 idna 3\.10 pip in image: False/);
    const again = await runJson(pythonFlow(properties, script), stateDir, [], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /from the cache/);
  });
});

for (const backendName of unreachable ? [] : availableBackends()) describe(`Python dependencies on Kubernetes (${backendName})`, { concurrency: false }, () => {
  let backend: KubeBackend;
  let kubeconfig = '';

  before(async () => {
    ensureBusyboxAlias();
    backend = await startBackend(backendName);
    kubeconfig = kubeconfigFile(backend);
  });

  after(async () => {
    await backend?.stop();
  });

  test('the libraries travel into the pod with the working directory', async () => {
    const properties = `containerImage: ${ensurePythonImage()}\npackageManager: PIP\ntaskRunner: {type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes, pullPolicy: IF_NOT_PRESENT}\ndependencies: [six==1.17.0, idna==3.10]`;
    const { doc, stderr, code } = await runJson(pythonFlow(properties), tempStateDir(), [], { env: { KUBECONFIG: kubeconfig, UV_PATH: '/nonexistent/uv' } });
    assert.equal(code, 0, stderr);
    assert.equal(taskRun(doc, 'py').attempts[0].runner, 'kubernetes');
    assert.match(stderr, /\[py\] six 1\.17\.0 idna 3\.10/);
  });
});
