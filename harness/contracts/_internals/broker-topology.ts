import { execRabbitmqctl, type CommandRunner } from '../../transport/amqp/rabbitmqctl';
import { matchesRoutingKey } from '../../transport/transport';

/** One binding of a queue to an exchange, as the broker has it. */
export interface QueueBinding {
  readonly exchange: string;
  readonly queue: string;
  readonly routingKey: string;
  /** Binding arguments (headers exchanges: the headers to match and `x-match`). */
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** How to run rabbitmqctl (a fake in unit tests). */
export interface RabbitmqctlAccess {
  readonly command?: string;
  readonly run?: CommandRunner;
  readonly vhost?: string;
}

/** Every queue binding of the vhost (`rabbitmqctl list_bindings`), the default exchange's left out. */
export async function listQueueBindings(access: RabbitmqctlAccess = {}): Promise<QueueBinding[]> {
  const rows = await listJson(access, 'list_bindings', [
    'source_name',
    'destination_name',
    'destination_kind',
    'routing_key',
    'arguments',
  ]);
  return rows.flatMap((row): QueueBinding[] => {
    const exchange = row['source_name'];
    const queue = row['destination_name'];
    if (typeof exchange !== 'string' || exchange === '' || typeof queue !== 'string') return [];
    if (row['destination_kind'] !== 'queue') return [];
    return [
      {
        exchange,
        queue,
        routingKey: typeof row['routing_key'] === 'string' ? row['routing_key'] : '',
        arguments: argumentTable(row['arguments']),
      },
    ];
  });
}

/** One queue's counters as the broker has them now. */
export interface QueueStats {
  readonly name: string;
  readonly ready: number;
  readonly unacknowledged: number;
  readonly consumers: number;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** The counters of `queue` (`rabbitmqctl list_queues`), or undefined when it does not exist. */
export async function queueStats(
  queue: string,
  access: RabbitmqctlAccess = {},
): Promise<QueueStats | undefined> {
  const rows = await listJson(access, 'list_queues', [
    'name',
    'messages_ready',
    'messages_unacknowledged',
    'consumers',
    'arguments',
  ]);
  const row = rows.find((candidate) => candidate['name'] === queue);
  if (!row) return undefined;
  return {
    name: queue,
    ready: Number(row['messages_ready'] ?? 0),
    unacknowledged: Number(row['messages_unacknowledged'] ?? 0),
    consumers: Number(row['consumers'] ?? 0),
    arguments: argumentTable(row['arguments']),
  };
}

/** Whether a message with `routingKey` and `headers` published to `binding.exchange` reaches the queue. */
export function bindingRoutes(
  binding: QueueBinding,
  exchangeType: string,
  routingKey: string,
  headers: Readonly<Record<string, unknown>>,
): boolean {
  if (exchangeType === 'fanout') return true;
  if (exchangeType === 'direct') return binding.routingKey === routingKey;
  if (exchangeType === 'topic') return matchesRoutingKey(binding.routingKey, routingKey);
  if (exchangeType === 'headers') {
    const wanted = Object.entries(binding.arguments).filter(([key]) => !key.startsWith('x-'));
    const any = binding.arguments['x-match'] === 'any' || binding.arguments['x-match'] === 'any-with-x';
    const hits = wanted.filter(([key, value]) => String(headers[key]) === String(value));
    return wanted.length === 0 || (any ? hits.length > 0 : hits.length === wanted.length);
  }
  return false;
}

async function listJson(
  access: RabbitmqctlAccess,
  what: string,
  columns: readonly string[],
): Promise<Record<string, unknown>[]> {
  const run = access.run ?? execRabbitmqctl;
  const command = access.command ?? process.env['RABBITMQCTL'] ?? 'rabbitmqctl';
  const output = await run(command, [
    '-q',
    what,
    '-p',
    access.vhost ?? '/',
    '--formatter',
    'json',
    ...columns,
  ]);
  const parsed: unknown = JSON.parse(output.trim() === '' ? '[]' : output);
  return Array.isArray(parsed)
    ? parsed.filter((row): row is Record<string, unknown> => typeof row === 'object' && row !== null)
    : [];
}

/** rabbitmqctl's JSON for an argument table: `[["x-match","longstr","all"], …]` → `{ 'x-match': 'all' }`. */
function argumentTable(value: unknown): Record<string, unknown> {
  const table: Record<string, unknown> = {};
  if (!Array.isArray(value)) return table;
  for (const entry of value) {
    if (Array.isArray(entry) && typeof entry[0] === 'string') table[entry[0]] = entry[2] ?? entry[1];
  }
  return table;
}

/**
 * The queues consumed over connections whose `connection_name` starts with `connectionPrefix` — how to find a
 * service's server-named queue (`amq.gen-…`), which has no name to configure. Three rabbitmqctl listings, run
 * together.
 */
export async function queuesConsumedBy(
  connectionPrefix: string,
  access: RabbitmqctlAccess = {},
): Promise<string[]> {
  const [consumers, channels, connections] = await Promise.all([
    listJson(access, 'list_consumers', ['queue_name', 'channel_pid']),
    listJson(access, 'list_channels', ['pid', 'connection']),
    listJson(access, 'list_connections', ['pid', 'client_properties']),
  ]);
  const named = new Set(
    connections
      .filter((connection) => {
        const name = argumentTable(connection['client_properties'])['connection_name'];
        return typeof name === 'string' && name.startsWith(connectionPrefix);
      })
      .map((connection) => connection['pid']),
  );
  const ownChannels = new Set(
    channels.filter((channel) => named.has(channel['connection'])).map((channel) => channel['pid']),
  );
  return [
    ...new Set(
      consumers
        .filter((consumer) => ownChannels.has(consumer['channel_pid']))
        .map((consumer) => consumer['queue_name'])
        .filter((queue): queue is string => typeof queue === 'string'),
    ),
  ];
}
