import type { EventLog } from '../../observe/event-log';
import { startSystemTap } from '../../observe/system-tap';
import type { StartedTarget } from '../../target/target';
import type { Transport } from '../../transport/transport';

/** The taps of a run: one per exchange of the target, armed before the first step. */
export interface TargetTaps {
  /** Sources of tap records that are publications (not redeliveries to a service): tap queues, firehose publishes. */
  readonly queues: ReadonlySet<string>;
  /** Exchanges no tap could watch, with why (shown in the report). */
  readonly unwatched: readonly string[];
  stop(): Promise<void>;
}

/**
 * Watches every exchange of the target the way its type requires (`startSystemTap`: topic `#`, fanout and headers
 * `''`, direct one binding per known routing key), never redeclaring it; direct exchanges without known keys and
 * the target's `directQueues` (messages sent straight to a queue) through RabbitMQ's firehose.
 */
export async function startTargetTaps(
  started: StartedTarget,
  log: EventLog,
  namespace: string,
): Promise<TargetTaps> {
  const transport: Transport = started.openTransport('scenario-tap');
  try {
    const tap = await startSystemTap({
      transport,
      exchanges: started.exchanges,
      directQueues: started.directQueues,
      log,
      queuePrefix: `${namespace}.tap`,
      vhost: started.vhost,
    });
    // Firehose records of publications have the source `publish:<exchange>` (`publish:` for the default one).
    const sources = new Set([...tap.queues, ...tap.viaFirehose.map((exchange) => `publish:${exchange}`)]);
    const stop = async (): Promise<void> => {
      await tap.stop();
      await transport.close();
    };
    return { queues: sources, unwatched: [], stop };
  } catch (error) {
    await transport.close();
    throw error;
  }
}
