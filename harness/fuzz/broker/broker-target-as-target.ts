import { markInjected } from '../../observe/injected-message';
import type { StartedTarget, Target } from '../../target/target';
import { TargetError } from '../../target/target-error';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../../transport/amqp/amqp-transport';
import { connectionName } from '../../transport/amqp/connection-name';
import type { Transport } from '../../transport/transport';
import type { BrokerTarget } from './broker-target';

/** Whether a fuzz target is the older `BrokerTarget` shape (a `--target` module written before the Target port). */
export function isBrokerTarget(value: Target | BrokerTarget): value is BrokerTarget {
  return 'terminalTypes' in value && !('flows' in value);
}

/**
 * A `BrokerTarget` seen through the Target port, so the one broker runner serves both: its exchange is a topic
 * exchange (what that shape always meant), its flows one kind (`flow`), its services run inside it (cut through
 * `connectionPrefix`, when it has one).
 */
export function brokerTargetAsTarget(brokerTarget: BrokerTarget): Target {
  const target: Target = {
    name: brokerTarget.name,
    adapter: brokerTarget.adapter,
    serviceNames: [],
    flows: [
      {
        name: 'flow',
        terminalTypes: brokerTarget.terminalTypes,
        ...(brokerTarget.atMostOnce ? { atMostOnce: brokerTarget.atMostOnce } : {}),
        invariants: brokerTarget.invariants,
      },
    ],
    async start(context) {
      const url = context.brokerUrl ?? process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
      const system = await brokerTarget.start({
        url,
        namespace: context.namespace,
        random: context.random,
        flows: context.flows ?? 0,
      });
      const transports: Transport[] = [];
      const open = (purpose: string): AmqpTransport => {
        const transport = new AmqpTransport({
          url,
          connectionName: connectionName(purpose),
          onError: () => undefined,
          acquireTimeoutMs: 60_000,
        });
        transports.push(transport);
        return transport;
      };
      let publisher: AmqpTransport | undefined;
      let stopping: Promise<void> | undefined;
      const stop = (): Promise<void> =>
        (stopping ??= (async () => {
          await system.stop().catch(() => undefined);
          await Promise.allSettled(transports.map((transport) => transport.close()));
        })());
      const started: StartedTarget = {
        target,
        brokerUrl: url,
        vhost: '/',
        exchanges: [{ name: system.exchange, type: 'topic' }],
        directQueues: [],
        adapter: brokerTarget.adapter,
        services: [],
        service(name) {
          throw new TargetError(
            'unknown-service',
            `unknown service "${name}" (${brokerTarget.name} runs its services in process)`,
          );
        },
        openTransport: open,
        ...(system.connectionPrefix !== undefined ? { connectionPrefix: system.connectionPrefix } : {}),
        async startFlow(index) {
          const flow = await system.startFlow(index);
          return { flow: 'flow', key: flow.key, correlationId: flow.correlationId ?? flow.key };
        },
        async publish(exchange, message, reason = 'test') {
          publisher ??= open('target-publish');
          await publisher.publish(exchange, { ...message, headers: markInjected(message.headers, reason) });
        },
        failure: () => undefined,
        ...(system.state ? { state: () => (system.state as () => Promise<unknown>)() } : {}),
        stop,
        [Symbol.asyncDispose]: stop,
      };
      return started;
    },
  };
  return target;
}
