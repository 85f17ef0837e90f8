import { z } from 'zod';
import { createScenarioSchema } from './scenario-schema';
import type { ScenarioVocabulary } from './scenario-vocabulary';

/**
 * The JSON Schema of scenario specs for a vocabulary, derived from the zod schema (the single source of truth)
 * for editor completion: put `# yaml-language-server: $schema=./scenario.schema.json` on a spec's first line.
 */
export function scenarioJsonSchema(vocabulary: ScenarioVocabulary): Record<string, unknown> {
  const schema = z.toJSONSchema(createScenarioSchema(vocabulary), { io: 'input', unrepresentable: 'any' });
  return {
    ...schema,
    title: 'Troupe scenario',
    description:
      'An end-to-end scenario: given seeded state, when commands or events, faults, then expectations.',
  };
}

/** The JSON Schema as the text committed to the repository (stable formatting, trailing newline). */
export function scenarioJsonSchemaText(vocabulary: ScenarioVocabulary): string {
  return `${JSON.stringify(scenarioJsonSchema(vocabulary), null, 2)}\n`;
}
