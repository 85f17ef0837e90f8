import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { EventDefinition } from '../../events/define-event';
import type { JsonSchemaNode } from '../_internals/json-schema';
import { ContractError } from '../contract-error';

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

function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
