import { fuzzSimulation } from '../fuzz/fuzz-simulation';
import { formatFuzzReport } from '../fuzz/report';
import { shopSimTarget } from './commands/fuzz/shop-sim-target';

/**
 * `troupe run`'s fuzz smoke: a short session of the fuzz engine on the reference shop in deterministic simulation
 * (correct services, no known bug switched on). Prints the seed, so any failure replays with `troupe fuzz`.
 */
export async function runFuzzSmoke(runs: number, seed?: number): Promise<{ ok: boolean; text: string }> {
  const report = await fuzzSimulation(shopSimTarget(), { runs, ...(seed === undefined ? {} : { seed }) });
  return { ok: report.failure === undefined, text: formatFuzzReport(report) };
}
