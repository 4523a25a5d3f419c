import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, rmSync, existsSync, chmodSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Test images are built locally (nothing can be pulled here): `docker import` of a root file system
 * made from this machine's busybox-static. Their tags are not `latest`: a kubelet gives an untagged
 * or `latest` image the pull policy Always, and a pull always fails here.
 */
export const BUSYBOX_IMAGE = 'harrier-test/busybox:1';

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
 * `harrier-test/python:1`: Debian's python3.11 (not pyenv's: it must find its standard library
 * under /usr/lib), the standard library without tests, GUI, bytecode caches and build files, the
 * shared libraries the interpreter and its extension modules load, and busybox for `sh`.
 */
export const PYTHON_IMAGE = 'harrier-test/python:1';
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

/**
 * `harrier-test/dbt:1`: busybox plus stand-ins for `git clone` (it creates the repository's
 * folder with a dbt project) and `dbt` (deps and build answer as dbt does), and `bash`, so the seed's
 * dbt flows run unchanged with no network.
 */
export const DBT_IMAGE = 'harrier-test/dbt:1';

const GIT_STAND_IN = `#!/bin/sh
# Stand-in for git (no network here): "git clone URL" creates the repository folder with a dbt project.
[ "$1" = clone ] || { echo "git stand-in: only clone is supported" >&2; exit 2; }
for arg in "$@"; do case "$arg" in *.git) url="$arg" ;; esac; done
name=$(basename "\${url:-repo.git}" .git)
echo "Cloning into '$name'..."
mkdir -p "$name/models"
printf 'name: jaffle_shop\\nprofile: jaffle_shop\\n' > "$name/dbt_project.yml"
for model in customers orders payments; do echo "select 1 as id" > "$name/models/$model.sql"; done
`;

const DBT_STAND_IN = `#!/bin/sh
# Stand-in for dbt (no network here): answers deps and build like dbt-duckdb does.
[ -f dbt_project.yml ] || { echo "Runtime Error: No dbt_project.yml found at expected path $(pwd)/dbt_project.yml" >&2; exit 2; }
case "$1" in
  deps) echo "Installing dbt packages... up to date" ;;
  build)
    count=$(ls models/*.sql | wc -l | tr -d ' ')
    for model in models/*.sql; do echo "OK created sql table model main.$(basename "$model" .sql)"; done
    mkdir -p target && echo '{"results": "stand-in"}' > target/run_results.json
    echo "Done. PASS=$count WARN=0 ERROR=0 SKIP=0 TOTAL=$count" ;;
  *) echo "dbt stand-in: unknown command $*" >&2; exit 2 ;;
esac
`;

export function ensureDbtImage(): string {
  if (imageExists(DBT_IMAGE)) return DBT_IMAGE;
  const root = mkdtempSync(join(tmpdir(), 'harrier-dbt-'));
  try {
    addBusybox(root);
    writeFileSync(join(root, 'bin', 'git'), GIT_STAND_IN, { mode: 0o755 });
    writeFileSync(join(root, 'bin', 'dbt'), DBT_STAND_IN, { mode: 0o755 });
    writeFileSync(join(root, 'bin', 'bash'), '#!/bin/sh\nexec /bin/sh "$@"\n', { mode: 0o755 });
    importRoot(root, DBT_IMAGE, ['ENV PATH=/bin']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return DBT_IMAGE;
}

/**
 * The Kubernetes runner's file containers default to `busybox`, as Kestra's do. A cluster has it
 * cached; here the local busybox image is tagged under that name so the seeds run unchanged.
 */
export function ensureBusyboxAlias(): string {
  const image = ensureBusyboxImage();
  if (!imageExists('busybox:latest')) execFileSync('docker', ['tag', image, 'busybox:latest'], { stdio: 'pipe' });
  return 'busybox:latest';
}
