import amqp from 'amqplib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A test's own exchanges and queues on the shared broker, deleted on dispose (names carry the test's prefix). */
export interface ScratchTopology extends AsyncDisposable {
  readonly url: string;
  /** Waits (bounded) until the broker lists a queue whose name starts with `prefix`. */
  waitForQueue(prefix: string, timeoutMs?: number): Promise<string>;
  /** Deletes a queue a foreign process declared (also done on dispose for every queue named after the prefix). */
  readonly prefix: string;
}

/** Declares `topology` (queues with their bindings) under `prefix`; dispose deletes everything named after it. */
export async function withScratchTopology(
  prefix: string,
  topology: {
    readonly exchanges: readonly { readonly name: string; readonly type: string }[];
    readonly queues: readonly {
      readonly name: string;
      readonly exchange: string;
      readonly bindings: readonly string[];
    }[];
  },
): Promise<ScratchTopology> {
  const url = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  for (const exchange of topology.exchanges)
    await channel.assertExchange(exchange.name, exchange.type, { durable: false });
  for (const queue of topology.queues) {
    await channel.assertQueue(queue.name, { durable: false });
    for (const key of queue.bindings) await channel.bindQueue(queue.name, queue.exchange, key);
  }
  const dispose = async (): Promise<void> => {
    const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name']);
    const { stdout: exchanges } = await run('rabbitmqctl', ['-q', 'list_exchanges', 'name']);
    const cleanup = await connection.createChannel();
    for (const name of stdout.split('\n').map((line) => line.trim())) {
      if (name.startsWith(`${prefix}.`)) await cleanup.deleteQueue(name);
    }
    for (const name of exchanges.split('\n').map((line) => line.trim())) {
      if (name.startsWith(`${prefix}.`)) await cleanup.deleteExchange(name);
    }
    await connection.close();
  };
  return {
    url,
    prefix,
    async waitForQueue(queuePrefix, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name']);
        const found = stdout
          .split('\n')
          .map((line) => line.trim())
          .find((name) => name.startsWith(queuePrefix));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no queue ${queuePrefix}* after ${timeoutMs} ms`);
      }
    },
    [Symbol.asyncDispose]: dispose,
  };
}
