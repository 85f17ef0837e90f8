import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { normalizePact } from '../../../harness/contracts/pact/normalize-pact';
import { repoRoot, tempPactDir } from '../support/pact-fixtures';
import { boxOfficePactDir, verifyBoxOffice } from './box-office-contracts';
import { writeBoxOfficePacts } from './box-office-pacts';
import { sensorAlertsPactDir, verifySensorAlerts } from './sensor-alerts-contracts';
import { writeSensorAlertsPacts } from './sensor-alerts-pacts';

/**
 * The examples (plain JavaScript services, each its own process, started from their manifests) against their
 * pacts on the real broker, both ways: each producer by capture, each consumer by delivery.
 */

const generated = tempPactDir('examples');
afterAll(() => generated.dispose());

const schema = path.resolve(repoRoot, '..', 'shared', 'reference', 'pact-schemas', 'pact-schema-v4.json');
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schema, 'utf8')) as object);

describe.each([
  ['box-office', writeBoxOfficePacts, boxOfficePactDir, ['booking-payments.json', 'payments-booking.json']],
  ['sensor-alerts', writeSensorAlertsPacts, sensorAlertsPactDir, ['pager-thresholds.json']],
] as const)('examples/%s/pacts', (example, write, committedDir, expected) => {
  it('regenerated pacts equal the committed ones and are valid Pact V4 (UPDATE_PACTS=1 to accept a change)', async () => {
    const dir = path.join(generated.dir, example);
    mkdirSync(dir, { recursive: true });
    await write(dir);
    const files = readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .sort();
    expect(files).toEqual([...expected]);
    for (const file of files) {
      const fresh: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
      const valid = validate(fresh);
      expect(ajv.errorsText(validate.errors, { dataVar: file })).toBe('No errors');
      expect(valid).toBe(true);
      const committed = path.join(committedDir, file);
      if (process.env['UPDATE_PACTS'] === '1') {
        mkdirSync(committedDir, { recursive: true });
        copyFileSync(path.join(dir, file), committed);
      }
      expect(existsSync(committed)).toBe(true);
      expect(normalizePact(JSON.parse(readFileSync(committed, 'utf8')))).toEqual(normalizePact(fresh));
    }
  });
});

describe('the examples verified both ways on RabbitMQ: producers by capture, consumers by delivery', () => {
  it('box office: booking and payments by capture; payments (ledger probe) and booking (server-named queue) by delivery', async () => {
    const result = await verifyBoxOffice(`c13bo-${randomBytes(3).toString('hex')}`, boxOfficePactDir);
    console.log(result.lines.join('\n'));
    expect(result.providers.every((report) => report.ok)).toBe(true);
    expect(result.providers.flatMap((report) => report.interactions)).toHaveLength(3);
    expect(
      result.consumers.flatMap((report) => report.interactions.map((verdict) => verdict.outcome)),
    ).toEqual(['acked', 'acked', 'acked']);
  }, 120_000);

  it('sensor alerts: thresholds by capture (binary CloudEvent on a headers exchange), pager by delivery through its headers binding', async () => {
    const result = await verifySensorAlerts(`c13sa-${randomBytes(3).toString('hex')}`, sensorAlertsPactDir);
    console.log(result.lines.join('\n'));
    expect(result.providers.every((report) => report.ok)).toBe(true);
    expect(
      result.consumers.flatMap((report) => report.interactions.map((verdict) => verdict.outcome)),
    ).toEqual(['acked']);
  }, 120_000);
});
