import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseChaosPlan } from '../../harness/chaos/plan/chaos-fault';
import { planFromSchedule } from '../../harness/chaos/plan/plan-from-schedule';
import { parseSchedule } from '../../harness/chaos/plan/parse-schedule';
import type { Schedule } from '../../harness/fuzz/schedule';
import { runTroupeProcess, type TroupeProcessResult } from '../support/troupe-cli';

jest.setTimeout(180_000);

/** Runs `npx troupe …` the way a user does. */
function troupe(...args: string[]): Promise<TroupeProcessResult> {
  return runTroupeProcess(args, { timeoutMs: 90_000 });
}

const UPSTREAM = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const BUG = 'payment-not-idempotent';
// The broker run's workload comes from its seed: this one places an order the gateway approves (see
// test/integration/chaos/replay-schedule.test.ts), so a duplicated charge shows.
const LIVE_SEED = '7101';

// The user path of issue 10: `troupe fuzz --json` finds a counterexample in simulation; its report is the input
// of `troupe proxy --schedule` (live services started elsewhere) and `troupe fuzz --mode broker --schedule`.
describe('replaying a simulated counterexample from the CLI', () => {
  let dir: string;
  let reportFile: string;
  let schedule: Schedule;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'troupe-replay-'));
    reportFile = path.join(dir, 'sim-report.json');
    const sim = await troupe('fuzz', '--json', '--seed', '1', '--runs', '100', '--bug', BUG);
    expect(sim.code).toBe(1); // the bug is found
    await writeFile(reportFile, sim.stdout);
    schedule = parseSchedule(JSON.parse(sim.stdout));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('troupe proxy --schedule prints the conversion and a replay line of exactly the converted plan', async () => {
    const result = await troupe(
      'proxy',
      '--upstream',
      UPSTREAM,
      '--listen',
      'payments=0',
      '--seed',
      '9',
      '--schedule',
      reportFile,
      '--duration',
      '0',
    );
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('schedule (simulated): ');
    expect(result.stdout).toContain('converted plan:\n  - ');
    const replay = /^replay: troupe proxy .* --replay '(.+)'$/m.exec(result.stdout)?.[1];
    expect(replay).toBeDefined();
    const expected = planFromSchedule(schedule, {
      serviceOf: (queue) => (queue === 'payments' ? 'payments' : undefined),
      queueOf: () => undefined,
      seed: 9,
    }).plan;
    expect(expected.faults.length).toBeGreaterThan(0);
    expect(parseChaosPlan(JSON.parse(replay ?? ''))).toEqual(expected);
  });

  it('a bad schedule or an unmapped queue is a usage error naming the field (exit 2, nothing started)', async () => {
    const bad = await troupe(
      'proxy',
      '--upstream',
      UPSTREAM,
      '--listen',
      'payments=0',
      '--schedule',
      '{"faults":[{"kind":"duplicate","consumer":"payments","nth":"0","copies":1,"lag":0}]}',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--schedule: faults.0.nth: ');
    expect(bad.stdout).toBe('');

    const unmapped = await troupe(
      'proxy',
      '--upstream',
      UPSTREAM,
      '--listen',
      'orders=0',
      '--schedule',
      reportFile,
    );
    expect(unmapped.code).toBe(2);
    expect(unmapped.stderr).toMatch(/--schedule: faults\.0\.consumer "payments": no listener of that name/);
    expect(unmapped.stderr).toContain('--queue payments=<service>');

    const noFailure = path.join(dir, 'clean-report.json');
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as Record<string, unknown>;
    await writeFile(noFailure, JSON.stringify({ ...report, failure: undefined }));
    const clean = await troupe('fuzz', '--mode', 'broker', '--schedule', noFailure);
    expect(clean.code).toBe(2);
    expect(clean.stderr).toContain(
      `--schedule ${noFailure}: the fuzz report has no failure, so there is no counterexample to replay`,
    );
    expect(clean.stdout).toBe('');
  });

  it('troupe fuzz --mode broker --schedule: the live shop shows the double charge with the bug, none without', async () => {
    const args = ['fuzz', '--mode', 'broker', '--runs', '1', '--seed', LIVE_SEED, '--schedule', reportFile];
    const buggy = await troupe(...args, '--bug', BUG);
    expect(buggy.stdout).toContain('converted plan:');
    expect(buggy.stdout).toContain('plan (given, not drawn from the seed)');
    expect(buggy.stdout).toMatch(
      /✗ \[invariant\] no double charge \(gateway ledger\): orderId \S+: 2 approved charges/,
    );
    expect(buggy.stdout).toMatch(/^rerun: troupe fuzz --mode broker .*--schedule '\{"faults":/m);
    expect(buggy.code).toBe(1);

    const fixed = await troupe(...args);
    expect(fixed.stdout).toMatch(/applied faults \(the proxy's fault log\):\n\s+\+\d+ ms\s+payments /);
    expect(fixed.stdout).not.toContain('✗');
    expect(fixed.code).toBe(0);
  });
});
