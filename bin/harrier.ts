#!/usr/bin/env -S node --min-semi-space-size=8
// A young generation that starts at 8 MB: loading the modules needs fewer scavenges, and memory stays bounded.
// Only syntax every Node since 12 reads (no top-level await, no `?.`), and nothing imported before the
// version check: on an old Node it must still say, in one line, which version it needs.
import module from 'node:module';

// node:sqlite (the store) without a flag decides the minimum; package.json's engines says the same.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13) || (major === 23 && minor < 4)) {
  process.stderr.write(`harrier needs Node.js 22.13 or later (this is ${process.version})\n`);
  process.exit(2);
}
// Node 22 warns on every start that node:sqlite is experimental; it is what Harrier is tested on.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
  if (String(warning).startsWith('SQLite is an experimental feature')) return;
  return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
} as typeof process.emitWarning;
// Compiling the modules costs about a third of start-up; cached, it costs almost nothing.
if (module.enableCompileCache) module.enableCompileCache();
import('../src/cli/main.ts');
