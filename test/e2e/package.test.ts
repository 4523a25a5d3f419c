/**
 * The package as a user gets it: `npm pack`, then installed globally into a temporary prefix and as
 * a dependency of a temporary project, each run from another directory. Nothing in the installed
 * tree may compile or run anything at install time. Needs the npm registry (or npm's cache).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT } from '../support/harrier.ts';

const work = mkdtempSync(join(tmpdir(), 'harrier-package-'));
after(() => rmSync(work, { recursive: true, force: true }));
/** Node 24 first on the PATH, as a user's shell would find it, and no npm settings of this repository. */
const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, npm_config_userconfig: join(work, 'npmrc'), NO_COLOR: '1' };
for (const key of Object.keys(env)) if (key.startsWith('npm_') && key !== 'npm_config_userconfig') delete env[key];
writeFileSync(join(work, 'npmrc'), 'fund=false\naudit=false\nupdate-notifier=false\nprefer-offline=true\n');

let tarball: string;

function npm(args: string[], cwd: string): string {
  const result = spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  assert.equal(result.status, 0, `npm ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

before(() => {
  // dist/ is built by the test run (scripts/test.ts); pack exactly that.
  const packed = npm(['pack', '--ignore-scripts', '--pack-destination', work, REPO_ROOT], work).trim().split('\n');
  tarball = join(work, packed.filter(Boolean).at(-1)!.trim());
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
  assert.ok(listing.includes('package/dist/bin/harrier.js'), listing.slice(0, 5).join(', '));
  assert.deepEqual(listing.filter((path) => !/^package\/(dist\/(bin|src)\/|package\.json$|README\.md$)/.test(path)), []);
  const manifest = JSON.parse(spawnSync('tar', ['xzfO', tarball, 'package/package.json'], { encoding: 'utf8' }).stdout) as Record<string, unknown>;
  assert.equal(manifest.private, undefined);
  assert.deepEqual(manifest.bin, { harrier: 'dist/bin/harrier.js' });
});

test('installed globally into a prefix: nothing runs at install time, and `harrier run` works from another directory', () => {
  const prefix = join(work, 'global');
  npm(['install', '--global', '--prefix', prefix, '--foreground-scripts', tarball], work);
  assert.deepEqual(installTimeWork(join(prefix, 'lib', 'node_modules', 'harrier', 'node_modules')), []);
  assert.ok(existsSync(join(prefix, 'bin', 'harrier')));
  runFlow(join(prefix, 'bin', 'harrier'));
});

test('installed as a dependency of a project: nothing runs at install time, and its bin works from another directory', () => {
  const project = mkdtempSync(join(work, 'project-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-harrier', version: '1.0.0', private: true }));
  npm(['install', '--foreground-scripts', tarball], project);
  assert.deepEqual(installTimeWork(join(project, 'node_modules')), []);
  runFlow(join(project, 'node_modules', '.bin', 'harrier'));
});
