import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import path from 'node:path';
import amqp from 'amqplib';

/** The broker every example test runs on (the shared local default unless AMQP_URL says otherwise). */
export const amqpUrl = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** One example service running as its own `node service.js` process. */
export interface ExampleProcess {
  readonly name: string;
  readonly pid: number;
  /** Everything it printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves with the `occurrence`th (default first) output line matching `pattern`, printed earlier or later; bounded. */
  waitForLine(pattern: RegExp, timeoutMs?: number, occurrence?: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). Idempotent. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Spawns `node <script>` with `env` on top of this process's environment and waits for its "ready" line. */
export async function startExampleProcess(
  script: string,
  env: Readonly<Record<string, string>>,
  readyTimeoutMs = 10_000,
): Promise<ExampleProcess> {
  const child = spawn(process.execPath, [script], {
    cwd: path.dirname(script),
    env: { ...process.env, AMQP_URL: amqpUrl, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const name = path.basename(script, '.js');
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const wake of waiters) wake();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
    for (const wake of waiters) wake();
  });

  const waitForLine = (pattern: RegExp, timeoutMs = 10_000, occurrence = 1): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const line = output.split('\n').filter((candidate) => pattern.test(candidate))[occurrence - 1];
        if (line !== undefined) return done(() => resolve(line));
        if (exitCode !== undefined) {
          done(() =>
            reject(new Error(`${name} exited (${exitCode}) before printing ${pattern}:\n${output}`)),
          );
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${name}: no line ${pattern} within ${timeoutMs} ms:\n${output}`))),
        timeoutMs,
      );
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  let stopping: Promise<number | null> | undefined;
  const stop = (graceMs = 3000): Promise<number | null> =>
    (stopping ??= terminate(child, exited, graceMs, () => exitCode !== undefined));

  const started: ExampleProcess = { name, pid: child.pid ?? -1, output: () => output, waitForLine, stop };
  try {
    await waitForLine(/\] ready/, readyTimeoutMs);
  } catch (error) {
    await stop(0);
    throw error;
  }
  return started;
}

async function terminate(
  child: ChildProcess,
  exited: Promise<number | null>,
  graceMs: number,
  hasExited: () => boolean,
): Promise<number | null> {
  if (hasExited()) return exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `node <script>` to completion (the examples' teardown and probe scripts); rejects on a non-zero exit. */
export function runNodeScript(script: string, env: Readonly<Record<string, string>>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script],
      { env: { ...process.env, AMQP_URL: amqpUrl, ...env }, timeout: 15_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${script}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

/** A message seen by the observer. */
export interface SeenMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly contentType: string | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly body: string;
}

/**
 * The test's own eyes on the broker, written with plain amqplib (no Troupe): a server-named exclusive queue
 * bound to the given exchanges, recording everything that arrives.
 */
export interface BrokerObserver {
  readonly seen: readonly SeenMessage[];
  /** Resolves once `count` seen messages satisfy `predicate`; bounded. */
  waitFor(
    predicate: (message: SeenMessage) => boolean,
    count?: number,
    timeoutMs?: number,
  ): Promise<SeenMessage[]>;
  publish(exchange: string, routingKey: string, body: Buffer, options?: amqp.Options.Publish): Promise<void>;
  close(): Promise<void>;
}

/** Starts an observer bound to `bindings` (exchange + routing key or headers arguments). */
export async function observeBroker(
  bindings: readonly { exchange: string; type: string; key?: string; args?: Record<string, unknown> }[],
): Promise<BrokerObserver> {
  const connection = await amqp.connect(amqpUrl);
  const channel = await connection.createConfirmChannel();
  const seen: SeenMessage[] = [];
  const waiters = new Set<() => void>();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  for (const binding of bindings) {
    await channel.assertExchange(binding.exchange, binding.type, { durable: true });
    await channel.bindQueue(queue, binding.exchange, binding.key ?? '', binding.args);
  }
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      seen.push({
        exchange: message.fields.exchange,
        routingKey: message.fields.routingKey,
        contentType: message.properties.contentType as string | undefined,
        headers: message.properties.headers ?? {},
        body: message.content.toString('utf8'),
      });
      for (const wake of waiters) wake();
    },
    { noAck: true },
  );
  return {
    seen,
    waitFor: (predicate, count = 1, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const matching = seen.filter(predicate);
          if (matching.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(matching);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`observer: fewer than ${count} matching message(s) within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    publish: (exchange, routingKey, body, options = {}) =>
      new Promise((resolve, reject) =>
        channel.publish(exchange, routingKey, body, options, (error: unknown) =>
          error
            ? reject(error instanceof Error ? error : new Error('publish nacked by the broker'))
            : resolve(),
        ),
      ),
    close: async () => {
      await connection.close();
    },
  };
}

/** A plain TCP relay in front of the broker whose connections the test can cut at once (no Troupe involved). */
export interface TcpRelay {
  /** `amqpUrl` pointed at the relay. */
  readonly url: string;
  /** Destroys every relayed connection now; returns how many. New connections are relayed again. */
  cutAll(): number;
  close(): Promise<void>;
}

/** Starts a relay on a free port of 127.0.0.1, forwarding to the broker of `amqpUrl`. */
export async function startTcpRelay(): Promise<TcpRelay> {
  const upstream = new URL(amqpUrl);
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const broker = connect({ host: upstream.hostname, port: Number(upstream.port || 5672) });
    const pair: [Socket, Socket] = [client, broker];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      broker.destroy();
    };
    client.on('error', drop).on('close', drop);
    broker.on('error', drop).on('close', drop);
    client.pipe(broker);
    broker.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = new URL(amqpUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    cutAll: () => {
      const cut = pairs.size;
      for (const [client, broker] of [...pairs]) {
        client.resetAndDestroy();
        broker.destroy();
      }
      return cut;
    },
    close: () =>
      new Promise((resolve) => {
        for (const [client, broker] of [...pairs]) {
          client.destroy();
          broker.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
