/**
 * The value of an environment variable, or undefined when it is unset, empty or only whitespace: CI systems
 * often export `PACT_BRANCH=` for "no value", and an empty branch or version must never reach the broker.
 */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
