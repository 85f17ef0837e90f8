import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** A foreign service (plain JS on amqplib) running as its own process, with the HTTP port it printed. */
export interface ForeignProcess extends AsyncDisposable {
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it wrote. */
  output(): string;
  /** Resolves with its exit code once it exited (by itself or stopped). */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Spawns `fixtures/<script>` and waits (bounded) for its `ready <port>` line. */
export async function startForeign(
  script: 'producer.js' | 'consumer.js',
  env: Readonly<Record<string, string>>,
  timeoutMs = 10_000,
): Promise<ForeignProcess> {
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} not ready in ${timeoutMs} ms:\n${text}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const match = /ready (\d+)/.exec(text);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready:\n${text}`));
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return { port, child, output: () => text, exited, stop, [Symbol.asyncDispose]: stop };
}
