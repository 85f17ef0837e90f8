import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTroupeProcess, type TroupeProcessResult } from '../support/troupe-cli';

/** Runs `npx troupe …` the way a user or CI does. */
function troupe(...args: string[]): Promise<TroupeProcessResult> {
  return runTroupeProcess(args, { timeoutMs: 60_000 });
}

describe('troupe scenarios (exit codes CI can use)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'troupe-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 on a broken spec, naming file, line, column and path, and runs nothing', async () => {
    const result = await troupe('scenarios', 'test/unit/scenario/fixtures/broken.scenario.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'test/unit/scenario/fixtures/broken.scenario.yaml:16:28  then.flows.*.chain[1]: unknown event type "PaymentComplete"',
    );
    expect(result.stderr).toContain(
      'broken.scenario.yaml:12:41  when[0].placeOrder.items[0].colour: unknown field "colour"',
    );
    expect(result.stderr).toContain('1 invalid scenario spec(s); nothing was run');
    expect(result.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
    expect(result.stdout).toBe(''); // nothing was acquired or started: not even the first line
  });

  it('exits 1 on a failing scenario, printing checks and the timeline, and writes JUnit', async () => {
    const junit = path.join(dir, 'scenarios.xml');
    const result = await troupe(
      'scenarios',
      'test/e2e/fixtures/wrong-expectation.scenario.yaml',
      '--sim',
      '--junit',
      junit,
    );
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')[0]).toContain('IN-MEMORY transport and store (--sim)');
    expect(result.stderr).toContain('✗ order: reaches OrderCancelled');
    expect(result.stderr).toContain('reached ShipmentScheduled instead');
    expect(result.stderr).toMatch(/Timeline of order[\s\S]*OrderPlaced[\s\S]*ShipmentScheduled/);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toContain('<testsuite name="troupe scenarios" tests="1" failures="1" errors="0"');
    expect(xml).toContain('<failure message="order: reaches OrderCancelled; order: status is cancelled">');
  });

  it('exits 0 when the scenarios pass on RabbitMQ', async () => {
    const result = await troupe('scenarios', 'scenarios/happy-path.scenario.yaml');
    const first = result.stdout.split('\n')[0];
    expect(first).toContain('broker: RabbitMQ at amqp://');
    expect(first).toContain('target: the reference shop (no troupe.config.* in');
    expect(result.stdout).toContain('1/1 scenario(s) passed');
    expect(result.code).toBe(0);
  });

  it('exits 2 on a usage error and 0 for --help', async () => {
    const [bad, help] = await Promise.all([
      troupe('scenarios', '--no-such-flag'),
      troupe('scenarios', '--help'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--no-such-flag'");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      'Exit codes: 0 every scenario passed, 1 a scenario failed, 2 usage or spec error.',
    );
  });
});
