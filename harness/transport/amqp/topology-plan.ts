import type { ExchangeType, Topology, QueueSpec } from '../transport';
import { deadLetterQueueName } from '../dead-letter';
import { AmqpTransportError } from './amqp-transport-error';

/** AMQP `exchange.declare` arguments for one exchange. */
export interface ExchangeDeclaration {
  readonly exchange: string;
  readonly type: ExchangeType;
  readonly durable: boolean;
}

/** AMQP `queue.declare` arguments for one queue. */
export interface QueueDeclaration {
  readonly queue: string;
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: Readonly<Record<string, string>>;
}

/** AMQP `queue.bind` arguments. */
export interface QueueBindingDeclaration {
  readonly queue: string;
  readonly exchange: string;
  readonly routingKey: string;
}

/** Everything one queue needs to exist and receive: used by the consumer to re-declare after a reconnect. */
export interface QueuePlan {
  readonly declaration: QueueDeclaration;
  readonly exchanges: readonly ExchangeDeclaration[];
  readonly bindings: readonly QueueBindingDeclaration[];
}

/** A topology translated to AMQP declarations, in the order they must run (exchanges, queues, bindings). */
export interface TopologyPlan {
  readonly exchanges: readonly ExchangeDeclaration[];
  readonly queues: readonly QueuePlan[];
}

// Names end up in routing keys (dead-letter key = queue name) and in rabbitmqctl output: keep them plain.
const NAME = /^[A-Za-z0-9_.:-]{1,255}$/;
const BINDING = /^[A-Za-z0-9_:*#-]+(\.[A-Za-z0-9_:*#-]+)*$/;

function checkName(what: string, name: string): void {
  if (!NAME.test(name)) {
    throw new AmqpTransportError(
      'invalid-topology',
      `${what} name ${JSON.stringify(name)} is invalid: use 1-255 characters from [A-Za-z0-9_.:-]`,
    );
  }
}

function queueDeclaration(spec: QueueSpec): QueueDeclaration {
  const exclusive = spec.exclusive === true;
  const kind = spec.kind ?? (exclusive ? 'classic' : 'quorum');
  if (exclusive && kind === 'quorum') {
    throw new AmqpTransportError(
      'invalid-topology',
      `queue ${JSON.stringify(spec.name)}: a quorum queue cannot be exclusive (use kind 'classic' for taps)`,
    );
  }
  const args: Record<string, string> = {};
  if (kind === 'quorum') args['x-queue-type'] = 'quorum';
  if (spec.deadLetterExchange !== undefined) {
    args['x-dead-letter-exchange'] = spec.deadLetterExchange;
    // One DLX serves all services; the source queue's name routes to that queue's own DLQ.
    args['x-dead-letter-routing-key'] = spec.name;
  }
  return { queue: spec.name, durable: !exclusive, exclusive, autoDelete: exclusive, arguments: args };
}

/**
 * Translates a `Topology` into AMQP declarations: durable exchanges; durable quorum queues (classic, exclusive,
 * auto-delete for `exclusive` taps); for a queue with a dead-letter exchange, that exchange (topic, unless the
 * topology declares it otherwise) and the queue's DLQ bound to it by the source queue's name. Pure; throws
 * `AmqpTransportError('invalid-topology')` naming the bad element.
 */
export function planTopology(topology: Topology): TopologyPlan {
  const exchanges = new Map<string, ExchangeDeclaration>();
  topology.exchanges.forEach((exchange, i) => {
    checkName(`exchanges[${i}]`, exchange.name);
    exchanges.set(exchange.name, { exchange: exchange.name, type: exchange.type, durable: true });
  });
  const queues: QueuePlan[] = [];
  topology.queues.forEach((spec, i) => {
    checkName(`queues[${i}]`, spec.name);
    checkName(`queues[${i}].exchange`, spec.exchange);
    spec.bindings.forEach((binding, j) => {
      // '' binds to fanout and headers exchanges; a trailing '.' is an empty last word (the firehose's
      // `publish.` is the default exchange).
      const words = binding.endsWith('.') ? binding.slice(0, -1) : binding;
      if (binding !== '' && !BINDING.test(words)) {
        throw new AmqpTransportError(
          'invalid-topology',
          `queues[${i}] (${spec.name}).bindings[${j}] ${JSON.stringify(binding)} is not a routing-key pattern`,
        );
      }
    });
    // An exchange this topology does not declare belongs to someone else: bind to it, never re-declare it.
    const ownExchange = exchanges.get(spec.exchange);
    const declaration = queueDeclaration(spec);
    queues.push({
      declaration,
      exchanges: ownExchange === undefined ? [] : [ownExchange],
      bindings: spec.bindings.map((routingKey) => ({
        queue: spec.name,
        exchange: spec.exchange,
        routingKey,
      })),
    });
    if (spec.deadLetterExchange !== undefined) {
      checkName(`queues[${i}].deadLetterExchange`, spec.deadLetterExchange);
      const dlx = exchanges.get(spec.deadLetterExchange) ?? {
        exchange: spec.deadLetterExchange,
        type: 'topic' as const,
        durable: true,
      };
      exchanges.set(dlx.exchange, dlx);
      const dlqName = deadLetterQueueName(spec.name);
      const dlq: QueueDeclaration = declaration.exclusive
        ? { queue: dlqName, durable: false, exclusive: true, autoDelete: true, arguments: {} }
        : {
            queue: dlqName,
            durable: true,
            exclusive: false,
            autoDelete: false,
            arguments: { 'x-queue-type': 'quorum' },
          };
      queues.push({
        declaration: dlq,
        exchanges: [dlx],
        bindings: [{ queue: dlqName, exchange: dlx.exchange, routingKey: spec.name }],
      });
    }
  });
  return { exchanges: [...exchanges.values()], queues };
}
