import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { EventDefinition } from '../../events/define-event';
import type { JsonSchemaNode } from '../_internals/json-schema';
import { ContractError } from '../contract-error';
import { checkCompatibility, type BreakingChange, type CompatibilityMode } from './check-compatibility';

/** A released payload schema of one event version, as committed under `contracts/snapshots/<Type>/<version>.json`. */
export interface SchemaSnapshot {
  readonly eventType: string;
  readonly version: string;
  readonly routingKey: string;
  readonly schema: JsonSchemaNode;
}

/** Every version an event definition knows (history, then current) as snapshots. */
export function snapshotsOf(definition: EventDefinition): SchemaSnapshot[] {
  const versions = [...definition.history, { version: definition.version, payload: definition.payload }];
  return versions.map((entry) => ({
    eventType: definition.type,
    version: entry.version,
    routingKey: definition.routingKey,
    schema: payloadJsonSchema(entry.payload),
  }));
}

/** The JSON Schema of a payload as it travels (zod *input*: what a reader accepts). */
export function payloadJsonSchema(payload: z.ZodType): JsonSchemaNode {
  return z.toJSONSchema(payload, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
}

/** Where the snapshot of `eventType` `version` lives. */
export function snapshotPath(dir: string, eventType: string, version: string): string {
  return path.join(dir, eventType, `${version}.json`);
}

/**
 * Writes the snapshots of every version the definitions know that is not committed yet (the release step).
 * A released snapshot is never rewritten: if a version's schema changed, this throws `incompatible-schema`
 * (bump the version instead).
 */
export function writeSnapshots(definitions: readonly EventDefinition[], dir: string): string[] {
  const written: string[] = [];
  for (const definition of definitions) {
    for (const snapshot of snapshotsOf(definition)) {
      const file = snapshotPath(dir, snapshot.eventType, snapshot.version);
      const text = `${JSON.stringify(snapshot, null, 2)}\n`;
      if (existsSync(file)) {
        // Compared as data: the committed file may be reformatted (prettier).
        if (JSON.stringify(JSON.parse(readFileSync(file, 'utf8'))) !== JSON.stringify(snapshot)) {
          throw new ContractError(
            'incompatible-schema',
            `${snapshot.eventType} ${snapshot.version} was released with another schema (${file}): bump the version`,
          );
        }
        continue;
      }
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      written.push(file);
    }
  }
  return written;
}

/** The committed snapshots of `eventType`, oldest version first. */
export function readSnapshots(dir: string, eventType: string): SchemaSnapshot[] {
  const folder = path.join(dir, eventType);
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as SchemaSnapshot)
    .sort((a, b) => compareVersions(a.version, b.version));
}

/** The compatibility verdict of one event type. */
export interface EventCompatibility {
  readonly eventType: string;
  /** The last released version, or undefined for a new event type. */
  readonly from?: string;
  readonly to: string;
  readonly compatible: boolean;
  readonly changes: readonly BreakingChange[];
  readonly note?: string;
}

/** The verdict of `compareCatalogWithSnapshots`. */
export interface CatalogCompatibilityReport {
  readonly mode: CompatibilityMode;
  readonly compatible: boolean;
  readonly events: readonly EventCompatibility[];
}

/**
 * Compares each event of the catalog with its last released snapshot under `mode`. A new major version may break
 * (its consumers are new), so its changes are listed but do not fail; the same version with another schema fails.
 */
export function compareCatalogWithSnapshots(
  definitions: readonly EventDefinition[],
  dir: string,
  mode: CompatibilityMode = 'BACKWARD',
): CatalogCompatibilityReport {
  const events = definitions.map((definition): EventCompatibility => {
    const last = readSnapshots(dir, definition.type).at(-1);
    const current = payloadJsonSchema(definition.payload);
    if (!last) {
      return {
        eventType: definition.type,
        to: definition.version,
        compatible: true,
        changes: [],
        note: 'new event type: no released snapshot yet',
      };
    }
    const report = checkCompatibility(last.schema, current, mode);
    const base = {
      eventType: definition.type,
      from: last.version,
      to: definition.version,
      changes: report.changes,
    };
    if (last.version === definition.version) {
      const same = JSON.stringify(last.schema) === JSON.stringify(current);
      return same
        ? { ...base, compatible: true }
        : {
            ...base,
            compatible: false,
            note: `schema changed without a version bump (still ${last.version})`,
          };
    }
    if (major(last.version) !== major(definition.version)) {
      return { ...base, compatible: true, note: 'new major version: breaking changes allowed' };
    }
    return { ...base, compatible: report.compatible };
  });
  return { mode, compatible: events.every((event) => event.compatible), events };
}

/** Human-readable lines of a catalog report, one per breaking change. */
export function formatCompatibilityReport(report: CatalogCompatibilityReport): string {
  const lines = [`Compatibility ${report.mode}: ${report.compatible ? 'OK' : 'BREAKING'}`];
  for (const event of report.events) {
    const range = event.from ? `${event.from} → ${event.to}` : event.to;
    lines.push(
      `  ${event.compatible ? 'ok  ' : 'FAIL'} ${event.eventType} ${range}${event.note ? ` (${event.note})` : ''}`,
    );
    for (const change of event.changes) {
      lines.push(`         ${change.direction} ${change.code} at ${change.path}: ${change.message}`);
    }
  }
  return lines.join('\n');
}

function major(version: string): string {
  return version.split('.')[0] ?? version;
}

function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
