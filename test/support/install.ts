/**
 * The package as a user installs it: `npm pack` of the built dist/, installed into a temporary
 * global prefix or a temporary project, with no npm settings of this repository (its .npmrc leaves
 * optional dependencies out; a user's npm does not). Shared by the package test and the start-up bench.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const REPO_ROOT = join(import.meta.dirname, '../..');

export class PackageInstaller {
  readonly work: string;
  /** Node 24 first on the PATH, as a user's shell would find it, and npm settings of our own only. */
  readonly env: NodeJS.ProcessEnv;

  constructor(work: string) {
    this.work = work;
    this.env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, npm_config_userconfig: join(work, 'npmrc'), NO_COLOR: '1' };
    for (const key of Object.keys(this.env)) if (key.startsWith('npm_') && key !== 'npm_config_userconfig') delete this.env[key];
    writeFileSync(join(work, 'npmrc'), 'fund=false\naudit=false\nupdate-notifier=false\nprefer-offline=true\n');
  }

  npm(args: string[], cwd: string): string {
    const result = spawnSync('npm', args, { cwd, env: this.env, encoding: 'utf8', timeout: 300_000 });
    if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  /** Packs dist/ as it is (built by the test run or the bench); returns the tarball's path. */
  pack(): string {
    const printed = this.npm(['pack', '--ignore-scripts', '--pack-destination', this.work, REPO_ROOT], this.work).trim().split('\n');
    return join(this.work, printed.filter(Boolean).at(-1)!.trim());
  }

  /** `npm install --global` into a new prefix; returns the prefix (its bin/harrier is the command). */
  installGlobally(tarball: string): string {
    const prefix = mkdtempSync(join(this.work, 'global-'));
    this.npm(['install', '--global', '--prefix', prefix, '--foreground-scripts', tarball], this.work);
    return prefix;
  }

  /** A new project that depends on the package; returns the project's folder. */
  installInProject(tarball: string): string {
    const project = mkdtempSync(join(this.work, 'project-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-harrier', version: '1.0.0', private: true }));
    this.npm(['install', '--foreground-scripts', tarball], project);
    return project;
  }
}
