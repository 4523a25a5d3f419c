/**
 * The package as a user gets it: `npm pack`, then installed globally into a temporary prefix and as
 * a dependency of a temporary project, each run from another directory. Nothing in the installed
 * tree may compile or run anything at install time. Needs the npm registry (or npm's cache).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT } from '../support/harrier.ts';
import { PackageInstaller } from '../support/install.ts';

const work = mkdtempSync(join(tmpdir(), 'harrier-package-'));
after(() => rmSync(work, { recursive: true, force: true }));
const installer = new PackageInstaller(work);
const env = installer.env;

let tarball: string;
before(() => {
  tarball = installer.pack();
});

/** Every package.json under node_modules that would run a script at install time, or a native build file. */
function installTimeWork(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name === 'binding.gyp') found.push(path);
      else if (entry.name === 'package.json' && isPackageRoot(dir)) {
        const scripts = (JSON.parse(readFileSync(path, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
        for (const hook of ['preinstall', 'install', 'postinstall']) if (scripts[hook]) found.push(`${path}: ${hook}: ${scripts[hook]}`);
      }
    }
  };
  visit(root);
  return found;
}

/** node_modules/NAME or node_modules/@SCOPE/NAME: a package's own folder, not a folder inside one. */
function isPackageRoot(dir: string): boolean {
  const parts = dir.split('/');
  return parts.at(-2) === 'node_modules' || (parts.at(-2)!.startsWith('@') && parts.at(-3) === 'node_modules');
}

const FLOW = 'id: packaged\nnamespace: test\ntasks:\n  - id: hello\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: [echo "hello from the package"]\n';

function runFlow(bin: string): void {
  const elsewhere = mkdtempSync(join(work, 'elsewhere-'));
  writeFileSync(join(elsewhere, 'flow.yaml'), FLOW);
  const cwd = mkdtempSync(join(work, 'cwd-'));
  const result = spawnSync(bin, ['run', join(elsewhere, 'flow.yaml')], {
    cwd, env: { ...env, HOME: join(work, 'home'), XDG_STATE_HOME: join(work, 'state') }, encoding: 'utf8', timeout: 60_000,
  });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /\[hello\] hello from the package/);
  assert.match(result.stdout, /SUCCESS/);
}

test('the tarball holds the build and no tests, benchmarks, CI or scripts', () => {
  const listing = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  assert.ok(listing.includes('package/dist/bundle/harrier.js'), listing.slice(0, 5).join(', '));
  assert.deepEqual(listing.filter((path) => !/^package\/(dist\/bundle\/|package\.json$|README\.md$)/.test(path)), []);
  const manifest = JSON.parse(spawnSync('tar', ['xzfO', tarball, 'package/package.json'], { encoding: 'utf8' }).stdout) as Record<string, unknown>;
  assert.equal(manifest.private, undefined);
  assert.deepEqual(manifest.bin, { harrier: 'dist/bundle/harrier.js' });
});

test('installed globally into a prefix: nothing runs at install time, and `harrier run` works from another directory', () => {
  const prefix = installer.installGlobally(tarball);
  assert.deepEqual(installTimeWork(join(prefix, 'lib', 'node_modules', 'harrier', 'node_modules')), []);
  assert.ok(existsSync(join(prefix, 'bin', 'harrier')));
  runFlow(join(prefix, 'bin', 'harrier'));
});

test('installed as a dependency of a project: nothing runs at install time, and its bin works from another directory', () => {
  const project = installer.installInProject(tarball);
  assert.deepEqual(installTimeWork(join(project, 'node_modules')), []);
  runFlow(join(project, 'node_modules', '.bin', 'harrier'));
});

test('on a Node older than 22.13 the bin says, in one line, which version it needs (exit 2)', (t) => {
  // The machine's own Node, when it is an old one (Debian's is 20): the bin must still parse there.
  const old = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => {
    const version = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout?.trim();
    return version !== undefined && /^v(1\d|20|21|22\.(\d|1[0-2]))\./.test(version);
  });
  if (!old) {
    t.skip('no Node older than 22.13 on this machine');
    console.log('# SKIPPED (old Node): no Node older than 22.13 in /usr/bin or /usr/local/bin');
    return;
  }
  const result = spawnSync(old, [join(REPO_ROOT, 'dist/bundle/harrier.js'), '--version'], { encoding: 'utf8' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^harrier needs Node\.js 22\.13 or later \(this is v\d+\.\d+\.\d+\)\n$/);
});
