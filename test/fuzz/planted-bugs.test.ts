import { fuzzSimulation } from '../../harness/fuzz/fuzz-simulation';
import { formatFuzzReport, formatFuzzSummary } from '../../harness/fuzz/report';
import type { ShopEvent, ShopEventType } from '../../reference-services/events/catalog';
import { SimulatedCrash } from '../../reference-services/kit/crash-points';
import { OutboxRelay, toMessage, type OutboxRelayOptions } from '../../reference-services/kit/outbox-relay';
import type { EventHandler, ServiceDefinition } from '../../reference-services/kit/service-definition';
import {
  ServiceProcessor,
  type ProcessInput,
  type ProcessOutcome,
} from '../../reference-services/kit/service-processor';
import type { GetOptions, OutboxRecord, StoreTx } from '../../reference-services/kit/store';
import { shopSimTarget, type ShopSimVariant } from '../../reference-services/target/shop-sim-target';

/**
 * Bugs nobody told the simulator about: each variant is the shop built from its real pieces with ONE piece
 * altered here, in the test — no switch in the services. The simulator must find each one with its ordinary
 * search (no hint about which fault or interleaving to try), print a seed and a replay command, and replay it.
 * Fixed, printed seeds: each test would fail if the bug were not found.
 */

/** processBatch with the inbox check's answer ignored: a duplicate in a batch is handled again. */
class BatchIgnoringInbox extends ServiceProcessor {
  override async processBatch(inputs: readonly ProcessInput[]): Promise<ProcessOutcome[]> {
    if (inputs.length <= 1) return Promise.all(inputs.map((input) => this.process(input)));
    const outcomes: ProcessOutcome[] = [];
    const valid: { index: number; event: ShopEvent; handler: EventHandler<ShopEventType> }[] = [];
    for (const [index, input] of inputs.entries()) {
      const prepared = this.prepare(input.body);
      if ('kind' in prepared) outcomes[index] = prepared;
      else valid.push({ index, ...prepared });
    }
    try {
      const results = await this.store.transaction(
        async (tx) => {
          const handled: ShopEvent[][] = [];
          for (const { event, handler } of valid) {
            await tx.markProcessed(this.service.name, event.eventId); // THE BUG: the answer is not checked
            const emitted: ShopEvent[] = [];
            await this.handle(tx, event, handler, emitted);
            handled.push(emitted);
          }
          for (const { event } of valid) this.crash('after-handle-before-commit', event.eventId);
          return handled;
        },
        { lockTimeoutMs: 100 },
      );
      for (const [i, { index, event }] of valid.entries()) {
        outcomes[index] = {
          kind: 'ack',
          status: 'handled',
          event,
          emitted: results[i] ?? [],
          ackedEarly: false,
        };
      }
    } catch (error) {
      if (error instanceof SimulatedCrash) {
        for (const { index, event } of valid) {
          outcomes[index] = { kind: 'crashed', point: error.point, event, ackedEarly: false };
        }
        return outcomes;
      }
      for (const { index } of valid) outcomes[index] = await this.process(inputs[index] as ProcessInput);
    }
    return outcomes;
  }
}

/** A relay that logs a failed publish and marks the row published anyway (the confirm's answer ignored). */
class RelayIgnoringNacks extends OutboxRelay {
  private readonly options: OutboxRelayOptions;
  constructor(options: OutboxRelayOptions) {
    super(options);
    this.options = options;
  }
  protected override async publishBatch(rows: readonly OutboxRecord[]): Promise<readonly number[]> {
    for (const row of rows) {
      await this.options.transport.publish(this.options.exchange, toMessage(row)).catch(() => undefined);
    }
    return rows.map((row) => row.id); // THE BUG: failed publishes are marked published too
  }
}

/** The inventory handler as it ships, but its reads of stock rows take no row lock. */
function inventoryWithoutRowLock(
  definitions: Readonly<Record<string, ServiceDefinition>>,
): ServiceDefinition {
  const inventory = definitions['inventory'] as ServiceDefinition;
  const reserve = inventory.handlers.PaymentCompleted as EventHandler<'PaymentCompleted'>;
  return {
    ...inventory,
    handlers: {
      ...inventory.handlers,
      PaymentCompleted: (event, context) => {
        const tx: StoreTx = {
          ...context.tx,
          get: (collection, key, options?: GetOptions) =>
            context.tx.get(collection, key, { ...options, forUpdate: false }), // THE BUG: no FOR UPDATE
          put: (collection, key, value) => context.tx.put(collection, key, value),
          insert: (collection, key, value) => context.tx.insert(collection, key, value),
          list: (collection) => context.tx.list(collection),
          markProcessed: (consumer, eventId) => context.tx.markProcessed(consumer, eventId),
          hasProcessed: (consumer, eventId) => context.tx.hasProcessed(consumer, eventId),
          appendOutbox: (record) => context.tx.appendOutbox(record),
        };
        return reserve(event, { ...context, tx });
      },
    },
  };
}

const variants: readonly (readonly [string, ShopSimVariant, RegExp])[] = [
  [
    'an inbox check ignored in the batch path (processBatch)',
    { name: 'batch ignores inbox', processor: (options) => new BatchIgnoringInbox(options) },
    /at most one|double|extra/,
  ],
  [
    'a relay that marks a nacked or unconfirmed publish as published',
    { name: 'relay ignores nacks', relay: (options) => new RelayIgnoringNacks(options) },
    /flow never ended|missing/,
  ],
  [
    'a stock read without FOR UPDATE (lost update)',
    {
      name: 'inventory reads stock without a row lock',
      services: (definitions) => ({ ...definitions, inventory: inventoryWithoutRowLock(definitions) }),
    },
    /reserved stock = units of the reservations|stock never negative/,
  ],
];

describe('the simulator finds bugs planted in code it runs (no switch tells it where)', () => {
  const seed = 7;
  const runs = 100;

  it('the unaltered shop passes the same search (seed 7)', async () => {
    const report = await fuzzSimulation(shopSimTarget(), { runs, seed });
    expect(formatFuzzSummary(report)).toContain('0 violations');
    expect(report.failure).toBeUndefined();
  });

  it.each(variants)(
    'finds %s, prints a replay command, and the replay reproduces it',
    async (_, variant, pattern) => {
      const target = shopSimTarget({ variant });
      const report = await fuzzSimulation(target, {
        runs,
        seed,
        replayCommand: (token) => `test replay ${token}`,
      });
      const text = formatFuzzReport(report);
      console.log(text);
      const failure = report.failure;
      if (!failure) throw new Error(`not found: ${formatFuzzSummary(report)}`);
      expect(failure.violations.map((v) => `${v.name}: ${v.detail}`).join('\n')).toMatch(pattern);
      expect(text).toContain(`seed ${seed}`);
      expect(text).toContain(`test replay ${failure.replay}`);
      const [replaySeed, ...path] = failure.replay.split(':');
      const replayed = await fuzzSimulation(target, { seed: Number(replaySeed), path: path.join(':'), runs });
      expect(replayed.failure?.schedule).toEqual(failure.schedule);
      expect(replayed.failure?.violations).toEqual(failure.violations);
    },
  );
});
