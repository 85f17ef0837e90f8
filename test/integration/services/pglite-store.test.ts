import { execFile } from 'node:child_process';
import path from 'node:path';

describe('PGliteStore (embedded fallback, same SQL)', () => {
  it('runs the shop with inbox, outbox and relay on PGlite, and the startShop runtime path on it', async () => {
    const script = path.join(__dirname, 'pglite-check.ts');
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [require.resolve('tsx/cli'), script],
        { timeout: 85_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    const result = JSON.parse(output.trim().split('\n').pop() ?? '{}') as {
      statuses: string[];
      charges: number;
      book: unknown;
      handled: number;
      duplicates: number;
      notified: boolean;
      runtimeStatuses: string[];
    };
    expect(result.statuses).toEqual(['cancelled', 'cancelled', 'shipped']);
    expect(result.charges).toBe(2);
    expect(result.book).toEqual({ sku: 'BOOK-001', available: 8, reserved: 2 });
    expect(result.duplicates).toBe(result.handled);
    expect(result.notified).toBe(true);
    expect(result.runtimeStatuses).toEqual(['shipped', 'cancelled', 'cancelled']);
  }, 90_000);
});
