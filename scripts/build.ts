/**
 * `npm run build` (run by `prepare`, so by `npm ci` and `npm pack`): one tsc pass that type-checks
 * the project and writes its JavaScript to dist/, then esbuild bundles what `harrier` runs into
 * dist/bundle/ (the package ships only that). The bundle is for start-up: one file (its bin, the
 * jq worker and the libraries in EXTERNAL aside) instead of some 270 modules to resolve, read and
 * link, run from a code cache by bin/harrier.ts. `--no-check` only writes the
 * JavaScript (a targeted `npm test -- FILE`, which must not run stale code).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..');
export const BUNDLE_DIR = join(ROOT, 'dist', 'bundle');
/** Which source modules the bundle holds (esbuild's metafile), for the lazy-loading test. */
export const BUNDLE_META = join(ROOT, 'dist', 'bundle-meta.json');

/**
 * Loaded at run time from node_modules, not bundled: the Kubernetes, Google and PostgreSQL clients (large, loaded
 * only by Kubernetes and GCP tasks and a PostgreSQL store), jq-wasm (reads its .wasm beside itself), and the small libraries only they and
 * the file transfers use.
 */
const EXTERNAL = ['@kubernetes/client-node', 'google-auth-library', 'jq-wasm', 'ws', 'tar-stream', 'picomatch', 'pg', 'pg-connection-string'];

/**
 * zod's namespace carries every locale's messages (340 kB of the bundle's 750 kB of zod, all parsed
 * at start-up); Harrier words its own messages and configures none of them, so only English is bundled.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build: { onResolve(options: { filter: RegExp }, callback: (args: { importer: string }) => { path: string } | undefined): void }): void {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), '..', 'locales', 'en.js') } : undefined
    ));
  },
};

/**
 * commander requires node:child_process at load for its executable subcommands, which harrier has
 * none of; that require alone loads net, stream, dgram and more on every start. Here it is made on
 * first use instead.
 */
const commanderLazyChildProcess = {
  name: 'commander-lazy-child-process',
  setup(build: { onLoad(options: { filter: RegExp }, callback: (args: { path: string }) => { contents: string; loader: 'js' }): void }): void {
    build.onLoad({ filter: /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      // A commander that no longer has this line fails the build, rather than quietly losing the saving.
      if (!source.includes(eager)) throw new Error(`${args.path}: no \`${eager}\` to make lazy (commander changed: update scripts/build.ts)`);
      return { contents: source.replace(eager, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"), loader: 'js' };
    });
  },
};

/**
 * `import { z } from 'zod'` binds zod's whole namespace object, so everything zod has is bundled and
 * evaluated at start-up (JSON Schema import, ISO formats, coercions, ...). Imported as a namespace
 * from the module that defines it, each `z.name` becomes a direct reference and esbuild leaves out
 * the parts Harrier never calls (the zod chunk shrinks from 400 to 210 kB).
 */
const zodNamespace = {
  name: 'zod-namespace',
  setup(build: { onLoad(options: { filter: RegExp }, callback: (args: { path: string }) => { contents: string; loader: 'js'; resolveDir: string } | undefined): void }): void {
    const named = "import { z } from 'zod';";
    const namespace = `import * as z from ${JSON.stringify(join(ROOT, 'node_modules', 'zod', 'v4', 'classic', 'external.js'))};`;
    build.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      return source.includes(named) ? { contents: source.replace(named, namespace), loader: 'js', resolveDir: dirname(args.path) } : undefined;
    });
  },
};

/** Builds dist/; returns 0 when the build is complete. */
export async function build(options: { check: boolean }): Promise<number> {
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT, ...(options.check ? [] : ['--noCheck'])], { stdio: 'inherit' });
  if (tsc.status !== 0) return tsc.status ?? 1;
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  const esbuild = await import('esbuild-wasm');
  const common = { absWorkingDir: ROOT, outdir: BUNDLE_DIR, bundle: true, platform: 'node', target: 'node22.13', external: EXTERNAL, logLevel: 'warning' } as const;
  // One CommonJS file: bin/harrier.ts runs it with V8's code cache of a previous start, which only a
  // classic script can use; its dynamic imports become functions called on first use, so lazy parts
  // stay unevaluated until needed, and externals are required there too. The content hash in its name
  // keys that cache.
  const result = await esbuild.build({
    ...common,
    entryPoints: { main: 'dist/src/cli/main.js' },
    entryNames: '[name]-[hash]',
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    // Without comments and indentation the file is a third smaller: less for every start to read.
    minifyWhitespace: true,
    // jq starts its worker from the file beside the bundle.
    define: { 'import.meta.url': '__harrierBundleUrl' },
    banner: { js: "const __harrierBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [zodEnglishOnly, commanderLazyChildProcess, zodNamespace],
    metafile: true,
  });
  const bundle = Object.keys(result.metafile.outputs).map((output) => basename(output)).find((name) => name.endsWith('.cjs'))!;
  // bin/harrier.ts reads the bundle as latin1; esbuild escapes non-ASCII characters in code, comments are gone.
  if (/[^\x00-\x7f]/.test(readFileSync(join(BUNDLE_DIR, bundle), 'latin1'))) throw new Error(`${bundle}: not ASCII (bin/harrier.ts reads it as latin1)`);
  await esbuild.build({
    ...common,
    entryPoints: { 'jq-worker': 'dist/src/expr/jq-worker.js' },
    format: 'esm',
  });
  await esbuild.build({
    ...common,
    entryPoints: { harrier: 'dist/bin/harrier.js' },
    format: 'esm',
    define: { HARRIER_BUNDLE: JSON.stringify(bundle) },
  });
  writeFileSync(BUNDLE_META, JSON.stringify(result.metafile));
  await esbuild.stop();
  // A shell runs the bin of a clone (`npx harrier`) by its shebang; npm sets the mode of an installed one.
  chmodSync(join(BUNDLE_DIR, 'harrier.js'), 0o755);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(await build({ check: !process.argv.includes('--no-check') }));
