#!/usr/bin/env -S node --min-semi-space-size=8
// A young generation that starts at 8 MB: loading the modules needs fewer scavenges, and memory stays bounded.
// Only syntax every Node since 12 reads (no top-level await, no `?.`), and nothing imported before the
// version check: on an old Node it must still say, in one line, which version it needs. Builtins are
// then taken with process.getBuiltinModule: an `import` of each would build its ES module facade.

/** The bundle's file name, its content hash included; scripts/build.ts writes it in. */
declare const HARRIER_BUNDLE: string;

// node:sqlite (the store) without a flag decides the minimum; package.json's engines says the same.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13) || (major === 23 && minor < 4)) {
  process.stderr.write(`harrier needs Node.js 22.13 or later (this is ${process.version})\n`);
  process.exit(2);
}
// Node 22 warns on every start that node:sqlite is experimental; it is what Harrier is tested on. Its
// early releases may also warn, run from a clone, that the bundle (CommonJS) requires the Kubernetes
// client (an ES module): that is how the build links it, nothing a user can act on.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
  const text = String(warning);
  if (text.startsWith('SQLite is an experimental feature') || text.includes('Support for loading ES Module in require()')) return;
  return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
} as typeof process.emitWarning;

const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');
const { homedir } = process.getBuiltinModule('node:os');
const { dirname, isAbsolute, join } = process.getBuiltinModule('node:path');
const { fileURLToPath } = process.getBuiltinModule('node:url');
const vm = process.getBuiltinModule('node:vm');

/** Enough for a few builds and Node versions, each with its handful of commands (about 1 MB each). */
const KEPT_CACHES = 16;

/** `$XDG_CACHE_HOME/harrier`, else `~/.cache/harrier` (a relative XDG_CACHE_HOME is ignored, as the spec says). */
function cacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'harrier');
}

/** Caches of other builds and Node versions pile up as harrier is updated: the newest few are kept. */
function keepNewestCaches(dir: string): void {
  const caches = readdirSync(dir).filter((name) => name.endsWith('.v8cache'))
    .map((name) => ({ path: join(dir, name), modified: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.modified - a.modified);
  for (const old of caches.slice(KEPT_CACHES)) rmSync(old.path, { force: true });
}

/**
 * Runs the bundle (one CommonJS file) with V8's code cache of a previous start. Node's own compile
 * cache is written when a file is compiled, so it holds the top level only, and every function
 * compiled lazily during the run (most of start-up's compile time) is compiled again at each start.
 * This cache is taken at exit instead, when all those functions are compiled: one per bundle,
 * Node version and command, written when missing or rejected (V8 checks its own version and flags).
 * NODE_DISABLE_COMPILE_CACHE turns it off, as it does Node's.
 */
function runBundle(): void {
  const bundle = fileURLToPath(new URL(HARRIER_BUNDLE, import.meta.url));
  // ASCII only (scripts/build.ts checks it): read as latin1, which needs no UTF-8 decoding.
  const source = readFileSync(bundle, 'latin1');
  const useCache = !process.env.NODE_DISABLE_COMPILE_CACHE;
  const command = /^[a-z]+$/.test(process.argv[2] || '') ? process.argv[2] : 'other';
  const cacheFile = join(cacheDir(), `${HARRIER_BUNDLE}-${process.version}-${process.arch}-${command}.v8cache`);
  let cached: Buffer | undefined;
  if (useCache) {
    try {
      cached = readFileSync(cacheFile);
    } catch {
      cached = undefined;
    }
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData: cached,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (useCache && (!cached || script.cachedDataRejected)) {
    process.once('exit', () => {
      // Written beside, then renamed: a harrier starting meanwhile reads a whole cache or none.
      const partial = `${cacheFile}.${process.pid}`;
      try {
        mkdirSync(dirname(cacheFile), { recursive: true });
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, cacheFile);
        keepNewestCaches(dirname(cacheFile));
      } catch {
        // A cache that cannot be written (read-only home, full disk) only costs the next start its speed.
        try {
          rmSync(partial, { force: true });
        } catch {
          // No folder to write in, so no partial file either.
        }
      }
    });
  }
  const exports = {};
  script.runInThisContext()(exports, module.createRequire(bundle), { exports }, bundle, dirname(bundle));
}

// Node's compile cache still serves what the bundle loads from node_modules (the Kubernetes client...).
if (module.enableCompileCache) module.enableCompileCache(join(cacheDir(), 'node-compile-cache'));
runBundle();
