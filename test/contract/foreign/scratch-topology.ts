import amqp from 'amqplib';

/** A test's own exchanges and queues on the shared broker, deleted on dispose (names carry the test's prefix). */
export interface ScratchTopology extends AsyncDisposable {
  readonly url: string;
  readonly prefix: string;
  /** A queue or exchange a foreign process declares, to delete on dispose too. */
  own(kind: 'queue' | 'exchange', name: string): void;
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
  // Deletes by name (no rabbitmqctl listing: ~2 s a call): the test's own names, and those it registers.
  const owned = new Set<string>(topology.queues.map((queue) => queue.name));
  const exchanges = new Set<string>(topology.exchanges.map((exchange) => exchange.name));
  const dispose = async (): Promise<void> => {
    const cleanup = await connection.createChannel();
    for (const name of owned) await cleanup.deleteQueue(name);
    for (const name of exchanges) await cleanup.deleteExchange(name);
    await connection.close();
  };
  return {
    url,
    prefix,
    own(kind, name) {
      (kind === 'queue' ? owned : exchanges).add(name);
    },
    [Symbol.asyncDispose]: dispose,
  };
}
