import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parseScenario, scenarioLoadOptions } from '../../harness/scenario/load-scenario';
import { runScenario } from '../../harness/scenario/run-scenario';
import { toyTarget } from '../unit/scenario/support/toy-target';

/*
 * The `sql` probe on the real PostgreSQL: a table in a schema of its own (dropped afterwards), read by a scenario's
 * probe with a parameter filled from a template. The system under test is the unit tests' toy (in memory): what is
 * exercised here is the probe.
 */

const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `troupe_sql_probe_${randomBytes(3).toString('hex')}`;

describe('the sql probe (PostgreSQL)', () => {
  const client = new pg.Client({ connectionString: databaseUrl });
  beforeAll(async () => {
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(
      `CREATE TABLE ${schema}.accounts (id text PRIMARY KEY, balance integer, opened timestamptz)`,
    );
    await client.query(`INSERT INTO ${schema}.accounts VALUES ('a1', 40, now()), ('a2', 0, now())`);
  });
  afterAll(async () => {
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  });

  const run = async (rows: string) => {
    const target = toyTarget();
    const text = `name: sql probe
when:
  - invoice: { as: inv, amount: 5 }
then:
  probes:
    - sql:
        query: 'SELECT id, balance FROM ${schema}.accounts WHERE balance >= $1 ORDER BY id'
        params: [0]
        rows: ${rows}
  settle: 50ms
within: 5s
`;
    const parsed = parseScenario(text, 'sql.scenario.yaml', scenarioLoadOptions(target));
    if (!parsed.ok) throw parsed.error;
    return runScenario(parsed.scenario, { target, mode: 'sim', databaseUrl });
  };

  it('passes when the query returns exactly the rows (each a subset of its row)', async () => {
    const report = await run('[{ id: a1, balance: 40 }, { id: a2 }]');
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
  });

  it('fails naming the first difference', async () => {
    const report = await run('[{ id: a1, balance: 41 }, { id: a2 }]');
    expect(report.checks).toContainEqual(
      expect.objectContaining({ ok: false, detail: '[0].balance: expected 41, got 40' }),
    );
    const fewer = await run('[{ id: a1 }]');
    expect(fewer.checks).toContainEqual(
      expect.objectContaining({
        ok: false,
        detail: expect.stringMatching(/^\(root\): expected 1 element\(s\), got 2/) as unknown,
      }),
    );
  });
});
