import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  type BrokerObserver,
  type ExampleProcess,
  observeBroker,
  runNodeScript,
  startExampleProcess,
} from './example-process';

// The box office example on its own, without Troupe: four plain-JavaScript services as separate processes on
// the real broker. Proves the services work and that the planted bug is real before Troupe is asked to find it.
const servicesDir = path.resolve(__dirname, '../../../examples/box-office/services');
const script = (name: string): string => path.join(servicesDir, `${name}.js`);

interface Envelope {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

const parse = (body: string): Envelope => JSON.parse(body) as Envelope;
const isEvent = (event: string, orderId: string) => (message: { body: string }) => {
  const envelope = parse(message.body);
  return envelope.event === event && envelope.data['orderId'] === orderId;
};

describe.each(['double-charge', 'none'])('box office example (BUGS=%s), services as processes', (bugs) => {
  const ns = `troupe-test.box-office.${randomBytes(4).toString('hex')}`;
  const env = { BOX_OFFICE_NS: ns, BUGS: bugs, LEDGER_FILE: path.join('/tmp', `${ns}.ledger.jsonl`) };
  let services: ExampleProcess[] = [];
  let observer: BrokerObserver;

  beforeAll(async () => {
    services = await Promise.all(
      ['booking', 'payments', 'mailer', 'audit'].map((name) => startExampleProcess(script(name), env)),
    );
    observer = await observeBroker([
      { exchange: `${ns}.events`, type: 'fanout' },
      { exchange: `${ns}.commands`, type: 'direct', key: 'payments' },
    ]);
  });

  afterAll(async () => {
    await observer?.close();
    const codes = await Promise.all(services.map((service) => service.stop()));
    await runNodeScript(path.join(servicesDir, 'teardown.js'), env);
    expect(codes).toEqual([0, 0, 0, 0]); // every service stopped cleanly on SIGTERM
  });

  const ledger = async (): Promise<Record<string, number>> =>
    (JSON.parse(await runNodeScript(script('ledger'), env)) as { charges: Record<string, number> }).charges;

  it('runs an order from OrderPlaced to ReceiptSent (the receipt request goes straight to the mailer queue)', async () => {
    const orderId = randomUUID();
    const placed = {
      event: 'OrderPlaced',
      data: { orderId, seats: 2, amountCents: 9000, email: 'ada@example.com' },
    };
    await observer.publish(`${ns}.events`, '', Buffer.from(JSON.stringify(placed)));

    await observer.waitFor(isEvent('ReceiptSent', orderId));
    const flow = observer.seen.map((m) => parse(m.body)).filter((e) => e.data['orderId'] === orderId);
    expect(flow.map((e) => e.event)).toEqual(
      expect.arrayContaining(['OrderPlaced', 'SeatsHeld', 'ChargeCard', 'PaymentProcessed', 'TicketsIssued']),
    );
    const mailer = services.find((s) => s.name === 'mailer');
    await mailer?.waitForLine(new RegExp(`receipt for ${orderId} to ada@example.com`));
    expect((await ledger())[orderId]).toBe(1);
  });

  it('cancels the booking when the card is declined', async () => {
    const orderId = randomUUID();
    const placed = {
      event: 'OrderPlaced',
      data: { orderId, seats: 40, amountCents: 90_000, email: 'b@example.com' },
    };
    await observer.publish(`${ns}.events`, '', Buffer.from(JSON.stringify(placed)));
    const [cancelled] = await observer.waitFor(isEvent('BookingCancelled', orderId));
    expect(parse(cancelled?.body ?? '{}').data).toEqual({ orderId, seats: 40, reason: 'over-limit' });
  });

  it(`a ChargeCard delivered twice ${bugs === 'none' ? 'charges once' : 'charges twice (the planted bug)'}`, async () => {
    const orderId = randomUUID();
    const charge = Buffer.from(JSON.stringify({ event: 'ChargeCard', data: { orderId, amountCents: 4500 } }));
    // What an at-least-once broker may do after a lost ack: the same command, twice.
    await observer.publish(`${ns}.commands`, 'payments', charge);
    await observer.publish(`${ns}.commands`, 'payments', charge);

    const payments = services.find((s) => s.name === 'payments');
    if (bugs === 'none') {
      await payments?.waitForLine(new RegExp(`order ${orderId} is charged already`));
      expect(observer.seen.filter(isEvent('PaymentProcessed', orderId))).toHaveLength(1);
      expect((await ledger())[orderId]).toBe(1);
    } else {
      await observer.waitFor(isEvent('PaymentProcessed', orderId), 2);
      expect((await ledger())[orderId]).toBe(2);
    }
  });
});
