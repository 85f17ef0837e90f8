import { deadLetterQueueName } from '../../harness/transport/dead-letter';
import type { Topology } from '../../harness/transport/transport';
import { ServiceError } from './errors';

/** The broker names of one namespace: derived, so parallel tests never share an exchange or a queue. */
export interface TopologyNames {
  readonly namespace: string;
  /** The topic exchange every event is published to. */
  readonly exchange: string;
  /** Where each service's dead letters go (routing key = the service's queue name). */
  readonly deadLetterExchange: string;
  queue(service: string): string;
  deadLetterQueue(service: string): string;
}

const NAMESPACE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Names for `namespace` (lower case letters, digits, `_`, `-`; at most 63). */
export function topologyNames(namespace: string): TopologyNames {
  if (!NAMESPACE.test(namespace)) {
    throw new ServiceError(
      'invalid-config',
      `namespace "${namespace}" must match ${NAMESPACE.source} (it names queues and a schema)`,
    );
  }
  const prefix = `troupe.${namespace}`;
  return {
    namespace,
    exchange: `${prefix}.events`,
    deadLetterExchange: `${prefix}.dead-letter`,
    queue: (service) => `${prefix}.${service}`,
    deadLetterQueue: (service) => deadLetterQueueName(`${prefix}.${service}`),
  };
}

/**
 * The topology of `services` in `namespace`, as data: one durable topic exchange; per service a durable quorum queue
 * bound to the routing keys it consumes, with the namespace's dead-letter exchange and its own DLQ.
 */
export function topology(
  namespace: string,
  services: readonly { readonly name: string; readonly bindings: readonly string[] }[],
): Topology {
  const names = topologyNames(namespace);
  return {
    exchanges: [
      { name: names.exchange, type: 'topic' },
      { name: names.deadLetterExchange, type: 'topic' },
    ],
    queues: services.flatMap((service) => [
      {
        name: names.queue(service.name),
        exchange: names.exchange,
        bindings: service.bindings,
        deadLetterExchange: names.deadLetterExchange,
        kind: 'quorum' as const,
      },
      // Declared explicitly too so every Transport adapter (not only AMQP) has the DLQ.
      {
        name: names.deadLetterQueue(service.name),
        exchange: names.deadLetterExchange,
        bindings: [names.queue(service.name)],
        kind: 'quorum' as const,
      },
    ]),
  };
}
