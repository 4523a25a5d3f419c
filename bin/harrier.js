#!/usr/bin/env -S node --min-semi-space-size=8
// A young generation that starts at 8 MB: loading the modules needs fewer scavenges, and memory stays bounded.
// Plain JavaScript on purpose: it must say something useful even on a Node too old to load TypeScript.
import module from 'node:module';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `harrier needs Node.js 24 (this is ${process.version}): run it as \`npx harrier\` inside the project, ` +
      'where `npm ci` installed Node 24\n',
  );
  process.exit(2);
}
// Type stripping and compilation cost more than half of start-up; cached, they cost almost nothing.
module.enableCompileCache?.();
await import('../src/cli/main.ts');
