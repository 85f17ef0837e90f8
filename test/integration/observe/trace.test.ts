import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from 'rabbitmq-client';
import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { newEventId } from '../../../harness/events/event-id';
import { EventLog } from '../../../harness/observe/event-log';
import { PgEventStore } from '../../../harness/observe/pg-event-store';
import { traceFlow } from '../../../harness/observe/trace';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import { asDelivery, troupeMessage } from '../../unit/observe/fixtures';

const run = promisify(execFile);
const suffix = randomBytes(4).toString('hex');
const namespace = `it_trace_${suffix}`;
const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;

describe('troupe trace', () => {
  let store: PgEventStore;
  let out: string;

  beforeAll(async () => {
    store = await PgEventStore.open({ namespace });
    out = await mkdtemp(join(tmpdir(), 'troupe-trace-'));
  });

  afterAll(async () => {
    await store.drop();
    await store.close();
    await rm(out, { recursive: true, force: true });
  });

  it('CLI: prints the timeline from the event store and writes Mermaid + HTML; lists flows without an id', async () => {
    const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
    const stop = store.persist(log);
    const correlationId = newEventId();
    const placed = troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, newEventId());
    const failed = troupeMessage('PaymentFailed', 'payments.payment.failed', correlationId, placed.eventId);
    log.record(asDelivery(placed));
    log.record(asDelivery(failed));
    log.record(asDelivery(failed, { redelivered: true }));
    log.record(
      asDelivery(troupeMessage('OrderCancelled', 'orders.order.cancelled', correlationId, failed.eventId)),
    );
    stop();
    await store.flush();

    const cli = ['node_modules/tsx/dist/cli.mjs', 'harness/cli/main.ts', 'trace'];
    const { stdout } = await run(process.execPath, [
      ...cli,
      correlationId,
      '--namespace',
      namespace,
      '--out',
      out,
      '--terminal',
      'ShipmentScheduled,OrderCancelled',
    ]);
    expect(stdout).toContain(`Flow ${correlationId} (4 deliveries)`);
    expect(stdout).toContain(
      '4 deliveries of 3 distinct events; 1 redelivered; terminal: OrderCancelled; no duplicated effects; ' +
        'recovered from repeated deliveries',
    );
    expect(stdout).toMatch(
      /0 +OrderPlaced +orders\n.* 1 +└ PaymentFailed +payments\n.* 1 +└ PaymentFailed +payments +duplicate,redelivered\n.* 2 + {2}└ OrderCancelled +orders/,
    );
    const mermaid = readFileSync(join(out, `${correlationId}.mmd`), 'utf8');
    expect(mermaid).toContain('p_orders-)p_payments: PaymentFailed');
    expect(readFileSync(join(out, `${correlationId}.html`), 'utf8')).toContain(
      '4 deliveries of 3 distinct events',
    );

    const listed = await run(process.execPath, [...cli, '--namespace', namespace]);
    expect(listed.stdout).toContain(correlationId);

    const missing = await run(process.execPath, [
      ...cli,
      newEventId(),
      '--namespace',
      namespace,
      '--out',
      out,
    ]).catch((error: { code: number; stderr: string }) => error);
    expect((missing as { code: number }).code).toBe(1);
    expect((missing as { stderr: string }).stderr).toContain('No deliveries for correlation');
  });

  it('live: taps the exchange until the flow is quiet, and persists what it saw', async () => {
    const exchange = `it.trace.${suffix}`;
    const transport = new AmqpTransport({ url, connectionName: connectionName('it-trace') });
    const admin = new Connection({ url, connectionName: connectionName('it-trace-admin') });
    admin.on('error', () => undefined);
    const correlationId = newEventId();
    try {
      await transport.connected();
      const placed = troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, newEventId());
      const started = performance.now();
      const result = await traceFlow({
        correlationId,
        outDir: out,
        source: {
          kind: 'live',
          transport,
          exchange,
          seconds: 20,
          idleMs: 150,
          persistNamespace: namespace,
          onListening: () => {
            void (async () => {
              await transport.publish(exchange, placed);
              await transport.publish(
                exchange,
                troupeMessage('OrderCancelled', 'orders.order.cancelled', correlationId, placed.eventId),
              );
            })();
          },
        },
      });
      expect(performance.now() - started).toBeLessThan(5000); // stopped on quiet, not at 20 s
      expect(result.events.map((e) => e.identity?.eventType)).toEqual(['OrderPlaced', 'OrderCancelled']);
      expect(result.files.every((file) => existsSync(file))).toBe(true);
      expect((await store.flow(correlationId)).map((e) => e.depth)).toEqual([0, 1]);
    } finally {
      await transport.close();
      await admin.exchangeDelete({ exchange });
      await admin.close();
    }
  });
});
