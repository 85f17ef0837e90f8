import { execFile } from 'node:child_process';
import Module from 'node:module';
import path from 'node:path';
import { loadConfig } from '../../../harness/config/load-config';
import type { DeliveryReport } from '../../../harness/contracts/foreign/deliver-to-consumer';
import type { VerificationReport } from '../../../harness/contracts/pact/verify-message-provider';
import { seededRandom } from '../../../harness/fuzz/_internals/seeded-random';
import { targetFromConfig } from '../../../harness/target/config-target';
import type { StartedTarget } from '../../../harness/target/target';
import type { Transport } from '../../../harness/transport/transport';

/** An example running from its manifest, with a transport for the contract checks. */
export interface RunningExample extends AsyncDisposable {
  readonly started: StartedTarget;
  readonly transport: Transport;
}

/**
 * Starts the example in `dir` from its troupe.config.ts under namespace `ns` (its manifest names everything after
 * the variable `nsVariable`); dispose stops its processes and runs its teardown.js (exchanges, queues, files).
 */
export async function startExample(dir: string, nsVariable: string, ns: string): Promise<RunningExample> {
  setProcessEnv(nsVariable, ns);
  const target = targetFromConfig(await loadConfig({ file: path.join(dir, 'troupe.config.ts') }));
  const started = await target.start({ namespace: ns, random: seededRandom(13) });
  const transport = started.openTransport('contracts');
  return {
    started,
    transport,
    [Symbol.asyncDispose]: async () => {
      await transport.close();
      await started.stop();
      await new Promise<void>((resolve, reject) =>
        execFile(
          process.execPath,
          [path.join(dir, 'services', 'teardown.js')],
          { env: { ...process.env, [nsVariable]: ns } },
          (error) => (error === null ? resolve() : reject(new Error(`teardown.js failed: ${error.message}`))),
        ),
      );
    },
  };
}

/** One line per interaction: producers by capture, consumers by delivery. */
export function reportLines(
  providers: readonly VerificationReport[],
  consumers: readonly DeliveryReport[],
): string[] {
  return [
    ...providers.flatMap((report) =>
      report.interactions.map(
        (interaction) =>
          `${interaction.ok ? 'ok  ' : 'FAIL'} producer ${report.provider} → ${interaction.consumer}: ${interaction.description} (by capture)` +
          interaction.mismatches.map((mismatch) => `\n       ${mismatch.path}: ${mismatch.message}`).join(''),
      ),
    ),
    ...consumers.flatMap((report) =>
      report.interactions.map(
        (verdict) =>
          `${verdict.ok ? 'ok  ' : 'FAIL'} consumer ${report.consumer} ← ${verdict.provider}: ${verdict.description} — ${verdict.outcome}: ${verdict.detail}`,
      ),
    ),
  ];
}

/**
 * Sets a variable in Node's own `process.env` too: under Jest, `process.env` is a per-file copy, while the
 * manifest is loaded by Node's module loader (see loadConfig) and reads the real one.
 */
function setProcessEnv(name: string, value: string): void {
  process.env[name] = value;
  const loader = Module as unknown as { _load?: (request: string) => unknown };
  const real = loader._load?.('node:process') as NodeJS.Process | undefined;
  if (real) real.env[name] = value;
}
