import { execFile } from 'node:child_process';
import path from 'node:path';
import { Command } from 'commander';
import { CliExit } from '../../harness/cli/cli-exit';

const bin = path.resolve(__dirname, '..', '..', 'bin', 'troupe.cjs');

/** How a `troupe` process ended and what it printed. */
export interface TroupeProcessResult {
  /** Exit code; null when it was killed (the timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where and how long the process runs. */
export interface TroupeProcessOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** Runs `npx troupe …` as a process, the way a user or CI does (the bin → tsx → harness/cli/main.ts). */
export function runTroupeProcess(
  args: readonly string[],
  options: TroupeProcessOptions = {},
): Promise<TroupeProcessResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        ...(options.cwd ? { cwd: options.cwd } : {}),
        env: { ...process.env, FORCE_COLOR: '0', ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? null : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Runs `troupe <command> …` in this process with the given commands registered: the exit code (a `CliExit`'s, or
 * `process.exitCode`) and what went to stdout; stderr (progress) is swallowed.
 */
export async function runTroupeCommand(
  register: readonly ((program: Command) => void)[],
  args: readonly string[],
): Promise<{ code: number; out: string }> {
  const program = new Command('troupe').exitOverride();
  for (const add of register) add(program);
  for (const command of program.commands) command.exitOverride();
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    lines.push(parts.map(String).join(' '));
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const previous = process.exitCode;
  try {
    await program.parseAsync([...args], { from: 'user' });
    return { code: Number(process.exitCode ?? 0), out: lines.join('\n') };
  } catch (error) {
    if (error instanceof CliExit) return { code: error.exitCode, out: error.message };
    throw error;
  } finally {
    process.exitCode = previous;
    log.mockRestore();
    err.mockRestore();
  }
}
