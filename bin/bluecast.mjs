#!/usr/bin/env node
// bluecast runs the JavaScript that `npm install` (postinstall) or `npm pack`
// (prepack) compiled into dist/. Without a build (a checkout before install),
// or with BLUECAST_FROM_SOURCE=1 while editing, it runs the TypeScript
// sources through tsx instead, which costs a second or two per start.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
let main;
if (process.env.BLUECAST_FROM_SOURCE !== '1' && existsSync(compiled)) {
  ({ main } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
