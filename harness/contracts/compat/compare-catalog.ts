import type { EventDefinition } from '../../events/define-event';
import { checkCompatibility, type BreakingChange, type CompatibilityMode } from './check-compatibility';
import { payloadJsonSchema, readSnapshots } from './schema-snapshots';

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
