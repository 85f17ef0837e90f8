import { troupeContracts as troupe } from './support/run-troupe';

/** `troupe contracts` as a user runs it: exit codes and what it names. */

const drifted = 'test/contract/fixtures/drifted-catalog.ts';

describe('troupe contracts (CLI)', () => {
  it('compat: exit 0 on the shop, exit 1 naming the breaking change on a drifted catalog; lint, publish and a misspelt verify --provider fail clearly', async () => {
    const [shop, breaking, lint, publish, misspelt] = await Promise.all([
      troupe(['compat']),
      troupe(['compat', '--mode', 'BACKWARD', '--catalog', drifted]),
      troupe(['lint', '--catalog', drifted]),
      troupe(['publish'], { PACT_BROKER_BASE_URL: '' }),
      troupe(['verify', '--provider', 'payment'], { PACT_BROKER_BASE_URL: '' }),
    ]);
    expect(shop.code).toBe(0);
    expect(shop.output).toContain('OrderPlaced 1.0 → 1.1');
    expect(breaking.code).toBe(1);
    expect(breaking.output).toMatch(/FAIL OrderPlaced 1\.0 → 1\.2[\s\S]*BACKWARD field-required at channel/);
    expect(lint.code).toBe(1);
    expect(lint.output).toContain('"cardNumber"');
    expect(lint.output).toContain('"cvv"');
    expect(publish.code).toBe(2);
    expect(publish.output).toContain('PACT_BROKER_BASE_URL is not set');
    expect(misspelt.code).toBe(2);
    expect(misspelt.output).toContain('no provider target named payment');
  });
});
