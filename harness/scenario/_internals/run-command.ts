import { spawn } from 'node:child_process';

/** What `runCommand` ran and how it ended. */
export interface CommandResult {
  readonly commandLine: string;
  /** Exit code, or null when a signal (or the timeout) ended it. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Its last lines of output (both streams, at most 20), for error messages. */
  readonly tail: string;
}

/**
 * Runs a command of a scenario step or probe: through the shell when no `args` are given, else directly. Killed
 * (SIGKILL, with its process group) after `timeoutMs`; never throws for a non-zero exit.
 */
export function runCommand(options: {
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  readonly cwd?: string | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly timeoutMs: number;
}): Promise<CommandResult> {
  const shell = options.args === undefined;
  const commandLine = shell ? options.command : [options.command, ...(options.args ?? [])].join(' ');
  return new Promise((resolve) => {
    const child = spawn(options.command, options.args ? [...options.args] : [], {
      shell,
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    const lines: string[] = [];
    const keep = (chunk: Buffer): void => {
      lines.push(...chunk.toString('utf8').split(/\r?\n/).filter(Boolean));
      lines.splice(0, Math.max(0, lines.length - 20));
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      keep(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      keep(chunk);
    });
    const kill = (): void => {
      try {
        // The whole group: a shell's children must not outlive the step.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(kill, options.timeoutMs);
    const finish = (code: number | null, signal: string | null): void => {
      clearTimeout(timer);
      resolve({ commandLine, code, signal, stdout, stderr, tail: lines.join('\n') });
    };
    child.on('error', (error) => {
      lines.push(error.message);
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}
