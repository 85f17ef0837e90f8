import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './pact-fixtures';

/** What one `troupe` run printed (stdout + stderr) and its exit code. */
export interface TroupeRun {
  readonly code: number | null;
  readonly output: string;
}

/** Runs `troupe contracts <args>` as a user does (tsx, from the repository root), with extra environment. */
export function troupeContracts(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<TroupeRun> {
  const tsx = require.resolve('tsx/cli');
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [tsx, path.join(repoRoot, 'harness/cli/main.ts'), 'contracts', ...args],
      { cwd: repoRoot, env: { ...process.env, ...env } },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
