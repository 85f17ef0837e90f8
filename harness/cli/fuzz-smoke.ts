import { fuzzSimulation } from '../fuzz/fuzz-simulation';
import { formatFuzzReport } from '../fuzz/report';

/**
 * `troupe run`'s fuzz smoke: a short session of the fuzz engine on the reference shop in deterministic simulation
 * (correct services, no known bug switched on). Prints the seed, so any failure replays with `troupe fuzz`.
 */
export async function runFuzzSmoke(runs: number, seed?: number): Promise<{ ok: boolean; text: string }> {
  // Loaded lazily: the shop is the CLI's default target, never a dependency of the harness.
  const { shopSimTarget } = await import('../../reference-services/target/shop-sim-target');
  const report = await fuzzSimulation(shopSimTarget(), { runs, ...(seed === undefined ? {} : { seed }) });
  return { ok: report.failure === undefined, text: formatFuzzReport(report) };
}
