import { Connection } from 'rabbitmq-client';
import { connectionName } from '../../harness/transport/amqp/connection-name';
import { DEFAULT_AMQP_URL } from '../../harness/transport/amqp/amqp-transport';
import { topologyNames } from './topology';

/**
 * Deletes a namespace's queues (each service's queue and DLQ) and exchanges on RabbitMQ. The Transport port has no
 * delete on purpose (services never delete topology); tests, demos and benches clean up with this.
 */
export async function deleteTopology(
  namespace: string,
  services: readonly string[],
  url: string = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL,
): Promise<void> {
  const names = topologyNames(namespace);
  const connection = new Connection({ url, connectionName: connectionName('troupe-cleanup'), retryLow: 100 });
  // Without a listener a lost connection would crash the process; onConnect and the deletes report failures.
  connection.on('error', () => undefined);
  try {
    await connection.onConnect(5_000);
    for (const service of services) {
      await connection.queueDelete({ queue: names.queue(service) });
      await connection.queueDelete({ queue: names.deadLetterQueue(service) });
    }
    await connection.exchangeDelete({ exchange: names.exchange });
    await connection.exchangeDelete({ exchange: names.deadLetterExchange });
  } finally {
    await connection.close();
  }
}
