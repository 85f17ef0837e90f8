#!/usr/bin/env node
// The `troupe` bin: runs the TypeScript CLI through tsx, so users need no build step.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const cli = path.join(__dirname, '..', 'harness', 'cli', 'main.ts');
const tsx = require.resolve('tsx/cli');
const result = spawnSync(process.execPath, [tsx, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
