import { ownConnectionPrefix } from '../../../harness/transport/amqp/connection-name';
import { listConnections } from '../../../harness/transport/amqp/rabbitmqctl';
import { runDemo } from '../../../reference-services/demo';

describe('runDemo (npm start material)', () => {
  it('runs every path on the real broker and database and prints each chain', async () => {
    const lines: string[] = [];
    const result = await runDemo({ timeoutMs: 30_000, print: (line) => lines.push(line) });
    expect(result.ok).toBe(true);
    expect(result.orders.map((order) => order.status)).toEqual([
      'shipped',
      'shipped',
      'cancelled',
      'cancelled',
      'cancelled',
      'needs_attention',
    ]);
    const output = lines.join('\n');
    for (const type of [
      'ShipmentScheduled',
      'PaymentFailed',
      'PaymentRefunded',
      'OrderCancelled',
      'OrderNeedsAttention',
    ]) {
      expect(output).toContain(type);
    }
    expect(output).toMatch(/\+\d+ ms/);
  });

  it('closes its broker connection when the database cannot be opened', async () => {
    const databaseUrl = process.env['DATABASE_URL'];
    process.env['DATABASE_URL'] = 'postgres://postgres@127.0.0.1:1/nothing-listens-here';
    try {
      await expect(runDemo({ print: () => undefined })).rejects.toMatchObject({ code: 'store-unavailable' });
    } finally {
      if (databaseUrl === undefined) delete process.env['DATABASE_URL'];
      else process.env['DATABASE_URL'] = databaseUrl;
    }
    const prefix = ownConnectionPrefix('transport');
    expect((await listConnections()).filter((c) => c.name?.startsWith(prefix))).toEqual([]);
  });
});
