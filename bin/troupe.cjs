#!/usr/bin/env node
// The `troupe` bin. Installed from npm it runs the compiled CLI (dist/cli.cjs): no TypeScript toolchain for the CLI
// itself; users' own TypeScript files (troupe.config.ts, targets, invariants) load through tsx's API from there.
// In a checkout of the repository (harness/ beside bin/, which the package does not ship) it runs the sources
// through tsx instead, so the repository's tests never exercise a stale build.
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const source = path.join(root, 'harness', 'cli', 'main.ts');
if (existsSync(source)) {
  const { spawnSync } = require('node:child_process');
  const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), source, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
} else {
  require(path.join(root, 'dist', 'cli.cjs'));
}
