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
});
