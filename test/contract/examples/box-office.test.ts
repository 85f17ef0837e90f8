import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { normalizePact } from '../../../harness/contracts/pact/normalize-pact';
import { repoRoot, tempPactDir } from '../support/pact-fixtures';
import { boxOfficePactDir, verifyBoxOffice } from './box-office-contracts';
import { writeBoxOfficePacts } from './box-office-pacts';

/**
 * The box office example (plain JavaScript services on amqplib, each its own process, started from its manifest)
 * against its pacts on the real broker, both ways: each producer by capture, each consumer by delivery.
 */

const generated = tempPactDir('box-office');
afterAll(() => generated.dispose());

describe('box office pacts (examples/box-office/pacts)', () => {
  it('regenerated pacts equal the committed ones and are valid Pact V4 (UPDATE_PACTS=1 to accept a change)', async () => {
    await writeBoxOfficePacts(generated.dir);
    const files = readdirSync(generated.dir)
      .filter((file) => file.endsWith('.json'))
      .sort();
    expect(files).toEqual(['booking-payments.json', 'payments-booking.json']);
    const schema = path.resolve(repoRoot, '..', 'shared', 'reference', 'pact-schemas', 'pact-schema-v4.json');
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(schema, 'utf8')) as object);
    for (const file of files) {
      const fresh: unknown = JSON.parse(readFileSync(path.join(generated.dir, file), 'utf8'));
      expect(validate(fresh)).toBe(true);
      const committed = path.join(boxOfficePactDir, file);
      if (process.env['UPDATE_PACTS'] === '1') copyFileSync(path.join(generated.dir, file), committed);
      expect(existsSync(committed)).toBe(true);
      expect(normalizePact(JSON.parse(readFileSync(committed, 'utf8')))).toEqual(normalizePact(fresh));
    }
  });

  it('verified both ways on the running example: producers by capture, consumers by delivery', async () => {
    const ns = `c13bo-${randomBytes(3).toString('hex')}`;
    const result = await verifyBoxOffice(ns, boxOfficePactDir);
    console.log(result.lines.join('\n'));
    expect(result.providers.every((report) => report.ok)).toBe(true);
    expect(result.providers.flatMap((report) => report.interactions)).toHaveLength(3);
    expect(
      result.consumers.flatMap((report) => report.interactions.map((verdict) => verdict.outcome)),
    ).toEqual(['acked', 'acked', 'acked']);
  });
});
