import { PactV4 } from '@pact-foundation/pact';
import path from 'node:path';
import { z } from 'zod';
import { checkCompatibility } from '../../harness/contracts/compat/check-compatibility';
import { compareCatalogWithSnapshots } from '../../harness/contracts/compat/compare-catalog';
import { payloadJsonSchema, writeSnapshots } from '../../harness/contracts/compat/schema-snapshots';
import { addEventInteraction } from '../../harness/contracts/pact/event-interaction';
import { eventMessageContract } from '../../harness/contracts/pact/event-message';
import {
  eventInteractionName,
  verifyProviderTarget,
} from '../../harness/contracts/pact/message-provider-target';
import { defineEvent } from '../../harness/events/define-event';
import { OrderPlaced, shopCatalog } from '../../reference-services/events/catalog';
import { shopProviderTarget } from './shop/shop-provider';
import { repoRoot, tempPactDir } from './support/pact-fixtures';

const snapshots = path.join(repoRoot, 'contracts', 'snapshots');
const tmp = tempPactDir('compat');
afterAll(() => tmp.dispose());

const base = z.object({
  orderId: z.uuid(),
  quantity: z.number().int(),
  tier: z.enum(['standard', 'premium']),
});
const schema = (payload: z.ZodType) => payloadJsonSchema(payload);

describe('schema compatibility (Confluent BACKWARD / FORWARD / FULL), naming each breaking change', () => {
  it('the shop catalog is compatible with its last released snapshots in every mode', () => {
    for (const mode of ['BACKWARD', 'FORWARD', 'FULL'] as const) {
      const report = compareCatalogWithSnapshots(shopCatalog.definitions, snapshots, mode);
      expect(report.events.filter((event) => !event.compatible)).toEqual([]);
    }
    const placed = compareCatalogWithSnapshots(shopCatalog.definitions, snapshots).events.find(
      (event) => event.eventType === 'OrderPlaced',
    );
    expect(placed).toMatchObject({ from: '1.0', to: '1.1', compatible: true });
  });

  it('adding an optional field is FULL compatible', () => {
    expect(
      checkCompatibility(schema(base), schema(base.extend({ note: z.string().optional() })), 'FULL').changes,
    ).toEqual([]);
  });

  it('adding a required field breaks BACKWARD only, at that field', () => {
    const next = schema(base.extend({ channel: z.string() }));
    expect(checkCompatibility(schema(base), next, 'BACKWARD').changes).toEqual([
      expect.objectContaining({ code: 'field-required', path: 'channel', direction: 'BACKWARD' }),
    ]);
    expect(checkCompatibility(schema(base), next, 'FORWARD').compatible).toBe(true);
  });

  it('removing a required field breaks FORWARD only', () => {
    const next = schema(base.omit({ quantity: true }));
    expect(checkCompatibility(schema(base), next, 'BACKWARD').compatible).toBe(true);
    expect(checkCompatibility(schema(base), next, 'FORWARD').changes).toEqual([
      expect.objectContaining({ code: 'field-required', path: 'quantity', direction: 'FORWARD' }),
    ]);
  });

  it('a new enum value breaks FORWARD (old readers do not know it), naming the value', () => {
    const next = schema(base.extend({ tier: z.enum(['standard', 'premium', 'gold']) }));
    const report = checkCompatibility(schema(base), next, 'FULL');
    expect(report.changes).toEqual([
      expect.objectContaining({ code: 'enum-value-unknown', path: 'tier', direction: 'FORWARD' }),
    ]);
    expect(report.changes[0]?.message).toContain('"gold"');
  });

  it('changing a type breaks both directions; widening int → number breaks FORWARD only', () => {
    const asString = schema(base.extend({ quantity: z.string() }));
    expect(checkCompatibility(schema(base), asString, 'FULL').changes.map((change) => change.code)).toEqual([
      'type-narrowed',
      'type-narrowed',
    ]);
    const widened = schema(base.extend({ quantity: z.number() }));
    expect(checkCompatibility(schema(base), widened, 'BACKWARD').compatible).toBe(true);
    expect(checkCompatibility(schema(base), widened, 'FORWARD').changes).toEqual([
      expect.objectContaining({ code: 'type-narrowed', path: 'quantity' }),
    ]);
  });

  it('a field that stops being nullable breaks BACKWARD; tightening a bound is named', () => {
    const last = schema(base.extend({ note: z.string().nullable(), quantity: z.number().int().min(0) }));
    const next = schema(base.extend({ note: z.string(), quantity: z.number().int().min(1) }));
    const codes = checkCompatibility(last, next, 'BACKWARD').changes.map(
      (change) => `${change.code}@${change.path}`,
    );
    expect(codes).toEqual(
      expect.arrayContaining(['null-not-accepted@note', 'constraint-tightened@quantity']),
    );
  });

  it('a released version whose schema changed fails, and snapshots are never rewritten', () => {
    const v1 = defineEvent({
      type: 'ThingHappened',
      version: '1.0',
      producer: 'x',
      routingKey: 'x.thing',
      description: 'x',
      payload: base,
      example: { orderId: OrderPlaced.example.orderId, quantity: 1, tier: 'standard' },
    });
    expect(writeSnapshots([v1], tmp.dir)).toHaveLength(1);
    expect(writeSnapshots([v1], tmp.dir)).toHaveLength(0);
    const changed = { ...v1, payload: base.extend({ channel: z.string() }) };
    const report = compareCatalogWithSnapshots([changed], tmp.dir);
    expect(report.compatible).toBe(false);
    expect(report.events[0]?.note).toMatch(/without a version bump/);
    expect(() => writeSnapshots([changed], tmp.dir)).toThrow(/bump the version/);
  });
});

describe('OrderPlaced 1.1 (adds optional salesChannel)', () => {
  it('a consumer still on the 1.0 schema verifies against the 1.1 producer (real orders code)', async () => {
    const previous = OrderPlaced.history[0];
    if (!previous) throw new Error('OrderPlaced has no 1.0 in its history');
    expect(OrderPlaced.version).toBe('1.1');
    const pact = new PactV4({
      consumer: 'payments-on-1.0',
      provider: 'orders',
      dir: tmp.dir,
      logLevel: 'error',
    });
    const contract = eventMessageContract(OrderPlaced, {
      payloadSchema: previous.payload,
      version: previous.version,
    });
    await addEventInteraction(pact, {
      description: eventInteractionName('OrderPlaced', 'an order, as a 1.0 consumer reads it'),
      contract,
    }).executeTest((message) => {
      // The 1.0 consumer's own schema accepts the pact's example.
      previous.payload.parse((message.contents.content as { payload: unknown }).payload);
      return Promise.resolve();
    });
    const report = await verifyProviderTarget(shopProviderTarget('orders'), {
      kind: 'files',
      pactUrls: [path.join(tmp.dir, 'payments-on-1.0-orders.json')],
    });
    expect(report.interactions.map((interaction) => interaction.mismatches)).toEqual([[]]);
    expect(report.ok).toBe(true);
  });
});
