/**
 * bench:fuzz — deterministic-simulation fuzzing of the five reference services as they ship (ServiceRuntime,
 * OutboxRelay, two instances per service, the SimulatedStore with row locks).
 * 1. Throughput: schedules/s (each = a faulty run + checks against its clean baseline) per core and on all cores
 *    (`fuzzCampaign` over worker threads, wall time, worker start-up included); baseline measured in the same run:
 *    bare clean simulations/s. Per core = one session in a child process confined to one core with `taskset`, so
 *    its garbage collector and compiler threads share that core, timed by the wall clock; where `taskset` is
 *    missing, the session runs here and is timed by this process's CPU time (all its threads).
 * 2. Time to find each known bug over 11 seeds: schedules and seconds to the first failure (median, max);
 *    baseline in the same run: the usual "deliver every message twice" test, which finds only some of them.
 */
import fc from 'fast-check';
import { loadavg } from 'node:os';
import { shopSimTarget, type ShopWorkload } from '../reference-services/target/shop-sim-target';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { checkSchedule } from '../harness/fuzz/check-schedule';
import { fuzzCampaign } from '../harness/fuzz/fuzz-campaign';
import { fuzzSimulation } from '../harness/fuzz/fuzz-simulation';
import { describeFault, type Fault } from '../harness/fuzz/schedule';
import { simulate } from '../harness/fuzz/simulate';
import { knownBugs } from '../reference-services/kit/bugs';
import { serviceNames } from '../reference-services/services';

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** How a per-core session is timed: the wall clock when confined to one core, else this process's CPU time. */
type CoreClock = 'pinned' | 'cpu';

function startClock(clock: CoreClock): () => number {
  if (clock === 'pinned') {
    const started = performance.now();
    return () => (performance.now() - started) / 1000;
  }
  const cpu = process.cpuUsage();
  return () => cpuSeconds(cpu);
}

async function throughput(
  clock: CoreClock,
  label: string,
  maxOrders: number,
  runs: number,
  schedulesPerWorkload: number,
): Promise<void> {
  const target = shopSimTarget({ maxOrders });
  // Warm up the JIT on this workload shape (the optimising compiler needs a few thousand schedules), then measure
  // five sessions: report the median and the best, and the total over all five.
  await fuzzSimulation(target, { runs: runs * 3, seed: 1, schedulesPerWorkload });
  const rates: number[] = [];
  let executed = 0;
  let seconds = 0;
  for (const seed of [2, 3, 4, 5, 6]) {
    const elapsed = startClock(clock);
    const report = await fuzzSimulation(target, { runs, seed, schedulesPerWorkload });
    const took = elapsed();
    rates.push(report.executed / took);
    executed += report.executed;
    seconds += took;
    if (report.failure) throw new Error(`correct services failed in the bench (seed ${report.seed})`);
  }
  const workloads = fc.sample(target.workload, { numRuns: 300, seed: 3 });
  for (const workload of workloads.slice(0, 100)) await simulate(target, workload, { faults: [] });
  const bareRates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const elapsed = startClock(clock);
    for (const workload of workloads) await simulate(target, workload, { faults: [] });
    bareRates.push(workloads.length / elapsed());
  }
  const best = Math.max(...rates);
  const bareBest = Math.max(...bareRates);
  console.log(
    `${label.padEnd(44)} ${String(executed).padStart(6)} schedules: median ${Math.round(median(rates))}/s, best ` +
      `${Math.round(best)}/s, all five ${Math.round(executed / seconds)}/s | baseline bare clean runs best ` +
      `${Math.round(bareBest)}/s → a checked schedule costs ${(bareBest / best).toFixed(2)}× a bare run`,
  );
}

/** The per-core part: the three workload shapes, one session at a time. */
async function perCore(clock: CoreClock): Promise<void> {
  const before = calibration();
  // A global warm-up so the first measurement does not pay for JIT compilation of the whole stack.
  await fuzzSimulation(shopSimTarget({ maxOrders: 4 }), { runs: 400, seed: 99 });
  await throughput(clock, '1 order per workload, ≤4 schedules each', 1, 600, 4);
  await throughput(clock, '1 order per workload, ≤8 schedules each', 1, 300, 8);
  await throughput(clock, '1..4 orders per workload, ≤4 schedules each', 4, 250, 4);
  const after = calibration();
  console.log(
    `machine speed on this core (a fixed loop of small objects, JSON and Map lookups; compare runs with it): ` +
      `${Math.round(before / 1000)}k / ${Math.round(after / 1000)}k loops/s before / after`,
  );
}

/**
 * Loops per second of a fixed piece of plain JavaScript, like the simulator's own work in miniature (small
 * objects, JSON, Map lookups): a shared or throttled machine shows here first, so figures from different runs can
 * be compared.
 */
function calibration(): number {
  let sink = 0;
  let loops = 0;
  const started = performance.now();
  while (performance.now() - started < 500) {
    for (let i = 0; i < 1_000; i++) {
      const record = { id: i, key: `k${i % 64}`, items: [i, i + 1] };
      sink += JSON.stringify(record).length;
      const index = new Map([[record.key, record]]);
      sink += index.get(record.key)?.id ?? 0;
    }
    loops += 1_000;
  }
  if (sink < 0) console.log(sink); // keeps the loop's work observable
  return loops / ((performance.now() - started) / 1000);
}

/** Runs `perCore` in a child confined to the last core (`taskset`); false when `taskset` is not there. */
function perCorePinned(): boolean {
  const core = availableParallelism() - 1;
  const child = spawnSync(
    'taskset',
    ['-c', String(core), process.execPath, ...process.execArgv, __filename],
    { stdio: 'inherit', env: { ...process.env, BENCH_FUZZ_PER_CORE: '1' } },
  );
  if (child.error) return false;
  if (child.status !== 0)
    throw new Error(`the per-core session failed (exit ${child.status ?? child.signal})`);
  return true;
}

/** One campaign on every core: wall-clock schedules/s, worker start-up included. */
async function allCores(runs: number): Promise<void> {
  const workers = availableParallelism();
  const report = await fuzzCampaign(
    {
      module: require.resolve('../reference-services/target/shop-sim-target'),
      exportName: 'shopSimTarget',
      args: { maxOrders: 1 },
    },
    { runs, seed: 5, workers, schedulesPerWorkload: 4 },
  );
  if (report.failure) throw new Error(`correct services failed in the bench (seed ${report.seed})`);
  console.log(
    `${'all cores: 1 order, ≤4 schedules each'.padEnd(36)} ${String(report.executed).padStart(6)} schedules on ` +
      `${workers} worker(s) in ${(report.elapsedMs / 1000).toFixed(1)} s wall = ${Math.round(report.schedulesPerSecond)}/s ` +
      `(${Math.round(report.schedulesPerSecond / workers)}/s per worker, start-up included)`,
  );
}

async function timeToFind(): Promise<void> {
  const seeds = Array.from({ length: 11 }, (_, i) => 1000 + i);
  for (const bug of knownBugs) {
    const target = shopSimTarget({ bugs: [bug] });
    const schedules: number[] = [];
    const seconds: number[] = [];
    const faults = new Map<string, number>();
    let missed = 0;
    for (const seed of seeds) {
      const report = await fuzzSimulation(target, { runs: 400, seed });
      if (!report.failure || report.msToFailure === undefined) {
        missed++;
        continue;
      }
      schedules.push(report.schedulesToFailure);
      seconds.push(report.msToFailure / 1000);
      const shrunk = report.failure.schedule.faults
        .map((f) => describeFault(f).replace(/#\d+/, '#n'))
        .join(' + ');
      faults.set(shrunk, (faults.get(shrunk) ?? 0) + 1);
    }
    const naive = await deliverEverythingTwice(bug);
    console.log(
      `${bug.padEnd(30)} found ${seeds.length - missed}/${seeds.length} seeds; schedules to find: median ${median(schedules)}, ` +
        `max ${Math.max(...schedules)}; seconds: median ${median(seconds).toFixed(3)}, max ${Math.max(...seconds).toFixed(3)}`,
    );
    console.log(`${''.padEnd(30)} shrunk to: ${[...faults].map(([f, n]) => `${f} (${n}×)`).join(', ')}`);
    console.log(
      `${''.padEnd(30)} baseline "deliver every message twice" over 100 workloads: ${naive > 0 ? `found (${naive}/100)` : 'NOT found'}`,
    );
  }
}

/** The usual duplicate test: every message delivered twice, nothing else. */
async function deliverEverythingTwice(bug: (typeof knownBugs)[number]): Promise<number> {
  const target = shopSimTarget({ bugs: [bug] });
  const faults: Fault[] = serviceNames.flatMap((consumer) =>
    Array.from({ length: 12 }, (_, nth) => ({
      kind: 'duplicate' as const,
      consumer,
      nth,
      copies: 1,
      lag: 0,
    })),
  );
  let found = 0;
  for (const workload of fc.sample<ShopWorkload>(target.workload, { numRuns: 100, seed: 5 })) {
    const verdict = await checkSchedule(target, workload, { faults });
    if (verdict.violations.length > 0) found++;
  }
  return found;
}

async function main(): Promise<void> {
  if (process.env['BENCH_FUZZ_PER_CORE'] === '1') return perCore('pinned');
  console.log(
    `bench:fuzz — node ${process.version}, ${availableParallelism()} core(s), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    '\n1. Throughput, correct services as they ship (target ≥ 2,000 checked schedules/s per core, 1 order)',
  );
  // BENCH_FUZZ_UNPINNED=1 measures CPU time in this process even where taskset exists (to compare the two).
  const unpinned = process.env['BENCH_FUZZ_UNPINNED'] === '1';
  if (!unpinned) {
    console.log(`per core: one session confined to core ${availableParallelism() - 1} (taskset), wall clock`);
  }
  if (unpinned || !perCorePinned()) {
    console.log('per core: CPU time of this process, not confined to a core (its helper threads included)');
    await perCore('cpu');
  }
  await allCores(Number(process.env['BENCH_CAMPAIGN_RUNS'] ?? 8_000));
  console.log('\n2. Time to find each known bug (target: within 1,000 runs, median < 1 s), 11 seeds each');
  // Warmed up like the per-core sessions, so seconds to a find do not include compiling the stack.
  await fuzzSimulation(shopSimTarget({ maxOrders: 4 }), { runs: 400, seed: 99 });
  await timeToFind();
}

void main();
