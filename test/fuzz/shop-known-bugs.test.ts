import { shopSimTarget } from '../../reference-services/target/shop-sim-target';
import { fuzzSimulation } from '../../harness/fuzz/fuzz-simulation';
import { formatFuzzReport, formatFuzzSummary } from '../../harness/fuzz/report';
import type { KnownBug } from '../../reference-services/kit/bugs';

// Fixed, printed seeds: the tests are deterministic, and each would fail if the bug were not found.
const seed = 424242;

describe('deterministic simulation of the five reference services', () => {
  it('the correct services pass (idempotency, invariants, convergence)', async () => {
    const report = await fuzzSimulation(shopSimTarget(), { runs: 60, seed });
    console.log(formatFuzzReport(report));
    expect(report.failure).toBeUndefined();
    expect(report.executed).toBeGreaterThanOrEqual(60);
  });

  const expectations: readonly [KnownBug, RegExp][] = [
    // A retry after a transient failure charges again too: the gateway call is outside the rolled-back transaction.
    [
      'payment-not-idempotent',
      /(duplicate|redeliver|crash|fail|cut the connection of the consumer of) payments#/,
    ],
    // Found as a crash between the commit and the separate inbox write, or as a duplicate processed concurrently.
    [
      'inventory-dedupe-after-commit',
      /crash inventory#\d+ at after-commit-before-dedupe|(duplicate|cut the connection of the consumer of) inventory#\d+[\s\S]*interleaved/,
    ],
    ['ack-before-commit', /crash \w+#\d+ at after-handle-before-commit/],
  ];

  it.each(expectations)('finds %s within 1,000 schedules and shrinks it to one fault', async (bug, fault) => {
    const report = await fuzzSimulation(shopSimTarget({ bugs: [bug] }), { runs: 250, seed });
    const text = formatFuzzReport(report);
    console.log(text);
    const failure = report.failure;
    if (!failure) throw new Error(`${bug} not found: ${formatFuzzSummary(report)}`);
    expect(report.schedulesToFailure).toBeLessThanOrEqual(1_000);
    expect(failure.schedule.faults).toHaveLength(1);
    expect(text).toMatch(fault);
    expect(failure.violations.length).toBeGreaterThan(0);
  });
});
