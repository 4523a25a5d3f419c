import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, rmSync, existsSync, chmodSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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

/** Bumped when the way an image is built changes, so a stale cached image is rebuilt. */
const IMAGE_VERSION = '2';
const VERSION_LABEL = 'harrier.test.image-version';

function imageExists(image: string): boolean {
  try {
    const version = execFileSync('docker', ['image', 'inspect', '--format', `{{ index .Config.Labels "${VERSION_LABEL}" }}`, image], { stdio: 'pipe' });
    return version.toString().trim() === IMAGE_VERSION;
  } catch {
    return false;
  }
}

/** `docker import` of a root directory, streamed (no buffer of the whole tar in this process). */
function importRoot(root: string, image: string, changes: string[]): void {
  // A temp directory is 0700: the image root must let non-root users in.
  chmodSync(root, 0o755);
  const changeArgs = [...changes, `LABEL ${VERSION_LABEL}=${IMAGE_VERSION}`].map((change) => `--change '${change}'`).join(' ');
  execFileSync('sh', ['-c', `tar -C '${root}' -c . | docker import ${changeArgs} - '${image}'`], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function addBusybox(root: string): void {
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true, mode: 0o1777 });
  chmodSync(join(root, 'tmp'), 0o1777);
  copyFileSync(findBusybox(), join(root, 'bin', 'busybox'));
  for (const applet of BUSYBOX_APPLETS) symlinkSync('busybox', join(root, 'bin', applet));
}

function findBusybox(): string {
  for (const candidate of ['/bin/busybox', '/usr/bin/busybox']) if (existsSync(candidate)) return candidate;
  throw new Error('busybox-static is not installed: run `apt-get install busybox-static` (.ci/run does it)');
}

export function ensureBusyboxImage(): string {
  if (imageExists(BUSYBOX_IMAGE)) return BUSYBOX_IMAGE;
  const root = mkdtempSync(join(tmpdir(), 'harrier-busybox-'));
  try {
    addBusybox(root);
    importRoot(root, BUSYBOX_IMAGE, ['ENV PATH=/bin']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return BUSYBOX_IMAGE;
}

/**
 * `harrier-test/python:latest`: Debian's python3.11 (not pyenv's: it must find its standard library
 * under /usr/lib), the standard library without tests, GUI, bytecode caches and build files, the
 * shared libraries the interpreter and its extension modules load, and busybox for `sh`.
 */
export const PYTHON_IMAGE = 'harrier-test/python:latest';
const PYTHON_BINARY = '/usr/bin/python3.11';
const PYTHON_STDLIB = 'usr/lib/python3.11';
const STDLIB_EXCLUDES = [
  '__pycache__', 'test', 'idlelib', 'tkinter', 'turtledemo', 'ensurepip', 'lib2to3', 'pydoc_data', 'config-3.11-*',
  'site-packages', 'dist-packages', 'unittest', 'distutils', 'EXTERNALLY-MANAGED',
  'lib-dynload/_test*', 'lib-dynload/xx*', 'lib-dynload/_ctypes_test*', 'lib-dynload/_curses*', 'lib-dynload/_dbm*',
  'lib-dynload/nis*', 'lib-dynload/ossaudiodev*', 'lib-dynload/readline*', 'lib-dynload/_tkinter*',
];

function sharedLibraries(files: string[]): string[] {
  const libraries = new Set<string>();
  for (const file of files) {
    const output = execFileSync('ldd', [file], { encoding: 'utf8' });
    for (const match of output.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) libraries.add(match[1]);
  }
  return [...libraries];
}

export function ensurePythonImage(): string {
  if (imageExists(PYTHON_IMAGE)) return PYTHON_IMAGE;
  if (!existsSync(PYTHON_BINARY)) throw new Error(`${PYTHON_BINARY} is missing: run \`apt-get install python3.11\``);
  const root = mkdtempSync(join(tmpdir(), 'harrier-python-'));
  try {
    addBusybox(root);
    mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
    copyFileSync(PYTHON_BINARY, join(root, 'usr', 'bin', 'python3.11'));
    symlinkSync('python3.11', join(root, 'usr', 'bin', 'python3'));
    symlinkSync('python3.11', join(root, 'usr', 'bin', 'python'));
    const excludes = STDLIB_EXCLUDES.map((pattern) => `--exclude='${pattern}'`).join(' ');
    execFileSync('sh', ['-c', `tar -C / -c ${excludes} ${PYTHON_STDLIB} | tar -C '${root}' -x`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const dynload = execFileSync('sh', ['-c', `ls '${root}/${PYTHON_STDLIB}/lib-dynload/'*.so`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const library of sharedLibraries([PYTHON_BINARY, ...dynload])) {
      const target = join(root, library);
      mkdirSync(dirname(target), { recursive: true });
      if (!existsSync(target)) copyFileSync(realpathSync(library), target);
    }
    importRoot(root, PYTHON_IMAGE, ['ENV PATH=/usr/bin:/bin', 'ENV LANG=C.UTF-8']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return PYTHON_IMAGE;
}
