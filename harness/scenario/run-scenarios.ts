import type { LoadedScenario } from './load-scenario';
import type { ScenarioReport } from './scenario-report';
import { runScenario, type RunScenarioOptions } from './run-scenario';

/** Options of `runScenarios`. */
export interface RunScenariosOptions extends RunScenarioOptions {
  /** How many scenarios run at once; default 4. Each has its own namespace, so they cannot interfere. */
  readonly concurrency?: number;
  /** Called as each scenario starts and finishes (progress on long runs). */
  readonly onStart?: (scenario: LoadedScenario) => void;
  readonly onFinish?: (report: ScenarioReport, done: number, total: number) => void;
}

/** Runs many scenarios concurrently; reports come back in the order of `scenarios`. */
export async function runScenarios(
  scenarios: readonly LoadedScenario[],
  options: RunScenariosOptions,
): Promise<ScenarioReport[]> {
  const reports: ScenarioReport[] = new Array<ScenarioReport>(scenarios.length);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < scenarios.length) {
      const index = next++;
      const scenario = scenarios[index];
      if (!scenario) continue;
      options.onStart?.(scenario);
      const report = await runScenario(scenario, options);
      reports[index] = report;
      options.onFinish?.(report, ++done, scenarios.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, scenarios.length) }, worker));
  return reports;
}
