/** Why a scenario run broke (as opposed to an expectation failing). Stable codes. */
export type ScenarioRunErrorCode =
  /** A `given`/`when` step failed: an HTTP call answered an error, a command exited non-zero, a wait timed out. */
  | 'step-failed'
  /** A service exited although nobody asked it to. */
  | 'service-exited'
  /** The run did not finish within `within` + `settle` + the start-up budget. */
  | 'scenario-timeout';

/** A scenario run that could not go on; it lands in `ScenarioReport.error` with its code. */
export class ScenarioRunError extends Error {
  readonly code: ScenarioRunErrorCode;
  constructor(code: ScenarioRunErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScenarioRunError';
    this.code = code;
  }
}
