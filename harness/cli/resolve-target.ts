import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../config/config-error';
import { findConfigFile, loadConfig, type LoadedConfig } from '../config/load-config';
import { targetFromConfig } from '../target/config-target';
import type { Target } from '../target/target';
import { CliExit } from './cli-exit';

/** What a command runs on: the user's manifest, or (without one) the reference shop. */
export type TargetChoice =
  | {
      readonly kind: 'manifest';
      /** Absolute path of the manifest. */
      readonly file: string;
      readonly loaded: LoadedConfig;
      /** The manifest's Target (services as processes). */
      readonly target: Target;
      /** The command's first line: says which target, loudly. */
      readonly firstLine: string;
    }
  | {
      readonly kind: 'reference';
      /** The command's first line. Each command then loads the shop lazily, as it always did. */
      readonly firstLine: string;
    };

/** Options every target-aware command takes (`troupe scenarios|fuzz|trace|run`). */
export interface TargetFlags {
  /** `--config FILE`: an explicit manifest. */
  readonly config?: string;
}

/** The help text of `--config <file>`, the same on every command. */
export const CONFIG_OPTION_HELP =
  'target manifest (default: troupe.config.{ts,mts,mjs,js,cjs,json,yaml,yml} in the working directory; ' +
  'without one: the reference shop)';

/** Adds `--config <file>` to a command, with the same help text everywhere. */
export function addConfigOption(command: Command): Command {
  return command.option('--config <file>', CONFIG_OPTION_HELP);
}

/**
 * Picks what a command runs on: the manifest named by `--config`, else `troupe.config.*` in `cwd`, else the
 * reference shop. A manifest that is missing (explicit `--config`), unreadable or invalid ends the command with
 * exit code 2 and the loader's message (file, path, expected shape) before anything starts.
 */
export async function resolveTarget(
  flags: TargetFlags,
  options: { readonly cwd?: string } = {},
): Promise<TargetChoice> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const file = flags.config !== undefined ? path.resolve(cwd, flags.config) : findConfigFile(cwd);
  if (file === undefined) {
    return {
      kind: 'reference',
      firstLine: `troupe: target: the reference shop (no troupe.config.* in ${cwd}; pass --config FILE for yours)`,
    };
  }
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig({ file, dir: cwd });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliExit(2, error.message, { cause: error });
    throw error;
  }
  const target = targetFromConfig(loaded);
  const services = Object.keys(loaded.config.services);
  return {
    kind: 'manifest',
    file,
    loaded,
    target,
    firstLine:
      `troupe: target: ${target.name} — ${services.length} service(s)` +
      `${services.length > 0 ? ` (${services.join(', ')})` : ''}, ${loaded.config.broker.exchanges.length} exchange(s)`,
  };
}
