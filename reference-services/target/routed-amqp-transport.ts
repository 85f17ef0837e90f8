import type { ServiceRouter } from '../../harness/target/target';
import { AmqpTransport } from '../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../harness/transport/amqp/connection-name';

/**
 * An AMQP transport for one in-process shop role (a service or the outbox relay) through `router` (the chaos
 * proxy): a connection of its own at the URL the router gives the role, so a fault or a cut hits that role alone.
 * Named `troupe.<purpose>-<role>.…`; opened lazily (the first operation connects).
 */
export async function routedAmqpTransport(
  router: ServiceRouter,
  role: string,
  brokerUrl: string,
  purpose: string,
): Promise<{ readonly url: string; readonly transport: AmqpTransport }> {
  const url = await router.urlFor(role, brokerUrl);
  const transport = new AmqpTransport({
    url,
    connectionName: connectionName(`${purpose}-${role}`),
    onError: () => undefined,
    acquireTimeoutMs: 60_000,
  });
  return { url, transport };
}
