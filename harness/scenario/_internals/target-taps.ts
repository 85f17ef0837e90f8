import type { EventLog } from '../../observe/event-log';
import { startFirehoseTap, type StartedFirehoseTap } from '../../observe/firehose-tap';
import { startSystemTap } from '../../observe/system-tap';
import type { StartedTarget } from '../../target/target';

/** The taps of a run: every exchange of the target (and its direct queues), armed before the first step. */
export interface TargetTaps {
  /** Whether a record's source is a tap's (a publication), not a redelivery seen on a service's queue. */
  readonly isTapRecord: (source: string) => boolean;
  stop(): Promise<void>;
}

/**
 * Watches every exchange of the target the way its type requires (`startSystemTap`: topic `#`, fanout and headers
 * `''`, direct one binding per known routing key), never redeclaring it; direct exchanges without known keys and
 * the target's `directQueues` (messages sent straight to a queue) through RabbitMQ's firehose. On a connection of
 * its own, which faults never cut.
 */
export async function startTargetTaps(
  started: StartedTarget,
  log: EventLog,
  namespace: string,
  options: {
    /**
     * Service queues whose redeliveries to record (through the firehose): services that run as processes, where
     * Troupe does not see their consumers, for `then.flows.*.redelivered`.
     */
    readonly redeliveriesOn?: readonly string[];
  } = {},
): Promise<TargetTaps> {
  const transport = started.openTransport('scenario-tap');
  let redeliveries: StartedFirehoseTap | undefined;
  try {
    if (options.redeliveriesOn && options.redeliveriesOn.length > 0) {
      redeliveries = await startFirehoseTap({
        transport,
        log,
        queues: options.redeliveriesOn,
        accept: (delivery) => delivery.redelivered === true,
        vhost: started.vhost,
      });
    }
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
    return {
      isTapRecord: (source) => sources.has(source),
      async stop() {
        await tap.stop();
        await redeliveries?.stop().catch(() => undefined);
        await transport.close();
      },
    };
  } catch (error) {
    await redeliveries?.stop().catch(() => undefined);
    await transport.close();
    throw error;
  }
}
