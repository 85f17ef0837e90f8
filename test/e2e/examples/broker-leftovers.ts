import { execRabbitmqctl } from '../../../harness/transport/amqp/rabbitmqctl';

const command = process.env['RABBITMQCTL'] ?? 'rabbitmqctl';

/** Runs `rabbitmqctl -q <args>` on the default vhost's node; resolves with its output. */
export function rabbitmqctl(...args: string[]): Promise<string> {
  return execRabbitmqctl(command, ['-q', ...args]);
}

/** Names of every queue on the broker's default vhost (to check a run left none of its own behind). */
export async function listQueueNames(): Promise<string[]> {
  return (await rabbitmqctl('list_queues', 'name'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && line !== 'name');
}

/** Whether the firehose tracer is on for the default vhost. */
export async function tracingOn(): Promise<boolean> {
  const output = await rabbitmqctl('list_vhosts', 'name', 'tracing');
  return output.split('\n').some((line) => /^\/\s+true$/.test(line.trim()));
}
