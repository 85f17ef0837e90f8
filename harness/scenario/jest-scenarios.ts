import { readFileSync } from 'node:fs';
import type { Target } from '../target/target';
import { assertScenario } from './assert-scenario';
import { defaultScenarioGlob, findScenarioFilesSync } from './find-scenario-files';
import { parseScenario, scenarioLoadOptions, type LoadScenarioOptions } from './load-scenario';
import type { RunScenarioOptions } from './run-scenario';
import type { VocabularyOptions } from './scenario-vocabulary';

/** What `describeScenarios` needs: how to check specs and what to run them against. */
export interface ScenarioSuite extends LoadScenarioOptions, RunScenarioOptions {
  /** Per-scenario Jest timeout; default: the scenario's `within` plus 30 s for start-up and clean-up. */
  readonly timeoutMs?: number;
  /**
   * Run the scenarios concurrently (default true: each run has its own namespace). Set false for targets whose
   * services share exchanges and queues between runs — every manifest target, whose topology is the user's.
   */
  readonly concurrent?: boolean;
}

/**
 * A suite for `target`: specs are checked against its vocabulary (event types, services, steps, probes) and run
 * against it.
 */
export function scenarioSuite(
  target: Target,
  options: Omit<RunScenarioOptions, 'target'> &
    VocabularyOptions & { readonly timeoutMs?: number; readonly concurrent?: boolean } = {},
): ScenarioSuite {
  return { ...options, ...scenarioLoadOptions(target, options), target };
}

/**
 * Turns every scenario spec matching `glob` into a concurrent Jest test (one line in a test file):
 * `describeScenarios('scenarios', shopScenarioSuite())`. A bad spec becomes a failing test whose message names
 * file, line and path; a failing scenario throws `ScenarioFailedError` with its report and timelines.
 */
export function describeScenarios(glob: string = defaultScenarioGlob, suite: ScenarioSuite): void {
  const files = findScenarioFilesSync(glob);
  describe(`scenarios (${glob})`, () => {
    if (files.length === 0) {
      test('finds scenario specs', () => {
        throw new Error(`no scenario specs match "${glob}"`);
      });
    }
    for (const file of files) {
      const parsed = parseScenario(readFileSync(file, 'utf8'), file, suite);
      if (!parsed.ok) {
        const error = parsed.error;
        test(`${file} is a valid scenario spec`, () => {
          throw error;
        });
        continue;
      }
      const scenario = parsed.scenario;
      (suite.concurrent === false ? test : test.concurrent)(
        `${scenario.spec.name} (${file})`,
        async () => {
          await assertScenario(scenario, suite);
        },
        suite.timeoutMs ?? scenario.spec.within + 30_000,
      );
    }
  });
}
