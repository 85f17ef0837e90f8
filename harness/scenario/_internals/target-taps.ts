import type { EventLog } from '../../observe/event-log';
import { startTap, type StartedTap } from '../../observe/tap';
import type { StartedTarget, TargetExchange } from '../../target/target';
import type { Transport } from '../../transport/transport';

/** The taps of a run: one per exchange of the target, armed before the first step. */
export interface TargetTaps {
  /** Queues the taps consume: events recorded from them are publications (not redeliveries to a service). */
  readonly queues: ReadonlySet<string>;
  /** Exchanges no tap could watch, with why (shown in the report). */
  readonly unwatched: readonly string[];
  stop(): Promise<void>;
}

/** Bindings that see every message an exchange of this type routes. */
function bindingsFor(exchange: TargetExchange): readonly string[] | undefined {
  switch (exchange.type) {
    case 'topic':
      return ['#'];
    case 'fanout':
      return [''];
    case 'direct':
      return exchange.routingKeys && exchange.routingKeys.length > 0 ? exchange.routingKeys : undefined;
    case 'headers':
      return undefined;
  }
}

/**
 * Binds a tap queue to every exchange of the target, the way its type requires (topic `#`, fanout, direct: one
 * binding per known routing key). An exchange a plain tap cannot watch (headers, direct without known keys) is
 * listed in `unwatched`.
 */
export async function startTargetTaps(
  started: StartedTarget,
  log: EventLog,
  namespace: string,
): Promise<TargetTaps> {
  const transport: Transport = started.openTransport('scenario-tap');
  const taps: StartedTap[] = [];
  const unwatched: string[] = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled(taps.map((tap) => tap.stop()));
    await transport.close();
  };
  try {
    for (const [index, exchange] of started.exchanges.entries()) {
      const bindings = bindingsFor(exchange);
      if (!bindings || exchange.type === 'headers') {
        unwatched.push(
          `${exchange.name} (${exchange.type}${exchange.type === 'direct' ? ' without routingKeys' : ''})`,
        );
        continue;
      }
      taps.push(
        await startTap({
          transport,
          exchange: exchange.name,
          exchangeType: exchange.type,
          bindings,
          log,
          queue: `${namespace}.tap.${index}`,
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { queues: new Set(taps.map((tap) => tap.queue)), unwatched, stop };
}
