import path from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import type { ProbeCheck } from '../../target/target';
import type { ScenarioProbe } from '../scenario-schema';
import { matchesSubset } from './matches-subset';
import { runCommand } from './run-command';
import { capabilityContext, fillTemplate, type RunState } from './run-state';

/** How long between two reads of a probe that does not hold yet. */
const retryMs = 150;

/**
 * Reads every probe of `then.probes`. State is eventually consistent too: a probe that does not hold is read again
 * until it does or `until` passes (at least once); the last reading is the verdict.
 */
export async function runProbes(
  state: RunState,
  probes: readonly ScenarioProbe[],
  until: number,
  databaseUrl: string | undefined,
): Promise<ProbeCheck[]> {
  const results = await Promise.all(
    probes.map(async (probe, index) => {
      for (;;) {
        let checks: ProbeCheck[];
        try {
          checks = await readProbe(state, probe, databaseUrl);
        } catch (caught) {
          checks = [
            {
              name: `probe then.probes[${index}] ${probe.kind === 'target' ? probe.name : probe.kind}`,
              ok: false,
              detail: `could not read: ${caught instanceof Error ? caught.message : String(caught)}`,
            },
          ];
        }
        if (checks.every((check) => check.ok) || Date.now() >= until || state.abandoned()) return checks;
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }),
  );
  return results.flat();
}

async function readProbe(
  state: RunState,
  probe: ScenarioProbe,
  databaseUrl: string | undefined,
): Promise<ProbeCheck[]> {
  switch (probe.kind) {
    case 'http': {
      const url = fillTemplate(state, probe.url, undefined) as string;
      const name = `GET ${url} is ${probe.status}${probe.json === undefined ? '' : ` with ${JSON.stringify(probe.json)}`}`;
      const response = await fetch(url, {
        headers: fillTemplate(state, probe.headers ?? {}, undefined) as Record<string, string>,
        signal: AbortSignal.timeout(5_000),
      });
      const text = await response.text();
      if (response.status !== probe.status) {
        return [{ name, ok: false, detail: `answered ${response.status}: ${text.slice(0, 200)}` }];
      }
      if (probe.json === undefined) return [{ name, ok: true }];
      const body = parseJson(text);
      if (body === undefined) return [{ name, ok: false, detail: `not JSON: ${text.slice(0, 200)}` }];
      const mismatch = matchesSubset(body, fillTemplate(state, probe.json, undefined));
      return [{ name, ok: mismatch === undefined, detail: mismatch }];
    }
    case 'sql': {
      const url =
        probe.url === undefined ? databaseUrl : (fillTemplate(state, probe.url, undefined) as string);
      const name = `SQL ${probe.query} returns ${JSON.stringify(probe.rows)}`;
      if (url === undefined) {
        return [{ name, ok: false, detail: 'no database: give the probe a `url` or set DATABASE_URL' }];
      }
      const client = new pg.Client({ connectionString: url, application_name: 'troupe-scenario-probe' });
      await client.connect();
      try {
        const result = await client.query(
          probe.query,
          fillTemplate(state, probe.params, undefined) as unknown[],
        );
        const mismatch = matchesSubset(
          result.rows.map((row) => jsonable(row)),
          fillTemplate(state, probe.rows, undefined),
        );
        return [{ name, ok: mismatch === undefined, detail: mismatch }];
      } finally {
        await client.end();
      }
    }
    case 'run': {
      const result = await runCommand({
        command: fillTemplate(state, probe.command, undefined) as string,
        args: probe.args ? (fillTemplate(state, probe.args, undefined) as string[]) : undefined,
        cwd: path.resolve(state.cwd, probe.cwd ?? '.'),
        env: probe.env ? (fillTemplate(state, probe.env, undefined) as Record<string, string>) : undefined,
        timeoutMs: 30_000,
      });
      const name = `\`${result.commandLine}\` exits ${probe.exitCode}${probe.stdout === undefined ? '' : ` printing ${JSON.stringify(probe.stdout)}`}`;
      if (result.code !== probe.exitCode) {
        return [{ name, ok: false, detail: `exited ${result.code ?? result.signal ?? '?'}: ${result.tail}` }];
      }
      if (probe.stdout === undefined) return [{ name, ok: true }];
      const printed = parseJson(result.stdout.trim());
      if (printed === undefined)
        return [{ name, ok: false, detail: `stdout is not JSON: ${result.stdout.slice(0, 200)}` }];
      const mismatch = matchesSubset(printed, fillTemplate(state, probe.stdout, undefined));
      return [{ name, ok: mismatch === undefined, detail: mismatch }];
    }
    case 'target': {
      const capability = state.target.probes?.[probe.name];
      if (!capability)
        return [{ name: probe.name, ok: false, detail: `the target has no probe "${probe.name}"` }];
      const whole = !(capability.schema instanceof z.ZodObject);
      const args = fillTemplate(state, probe.args, undefined) as Record<string, unknown>;
      const result = await capability.run(
        state.started,
        whole ? args['value'] : args,
        capabilityContext(state, undefined),
      );
      return toChecks(probe.name, result);
    }
  }
}

/** A target probe's result: a `ProbeCheck`, a list of them, or anything else (a bug in the target: said so). */
function toChecks(name: string, result: unknown): ProbeCheck[] {
  const list = Array.isArray(result) ? (result as unknown[]) : [result];
  return list.map((entry) =>
    entry !== null && typeof entry === 'object' && 'ok' in entry && 'name' in entry
      ? (entry as ProbeCheck)
      : { name, ok: false, detail: `the probe returned ${JSON.stringify(entry)}, not a ProbeCheck` },
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A row as JSON would carry it (dates as ISO strings, bigints as strings), so YAML expectations can match. */
function jsonable(row: unknown): unknown {
  return JSON.parse(
    JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value)),
  );
}
