import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './support/pact-fixtures';

/**
 * The committed pacts are valid Pact V4 files according to the official Pact JSON Schema. The schemas live next
 * to the repository (`../shared/reference/pact-schemas`, as in CI, where the clone sits beside a copy of shared/).
 */

const schemaPath = path.resolve(repoRoot, '..', 'shared', 'reference', 'pact-schemas', 'pact-schema-v4.json');
const pactDir = path.join(repoRoot, 'pacts');
const pactFiles = readdirSync(pactDir)
  .filter((file) => file.endsWith('.json'))
  .sort();

interface PactFile {
  readonly consumer: { readonly name: string };
  readonly provider: { readonly name: string };
  readonly interactions: readonly { readonly type: string; readonly description: string }[];
  readonly metadata: { readonly pactSpecification: { readonly version: string } };
}

describe('committed pacts are Pact V4 and valid against the official schema', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);

  it('has at least 5 pact files with at least 8 interactions in all', () => {
    const interactions = pactFiles.reduce(
      (sum, file) =>
        sum + (JSON.parse(readFileSync(path.join(pactDir, file), 'utf8')) as PactFile).interactions.length,
      0,
    );
    expect(pactFiles.length).toBeGreaterThanOrEqual(5);
    expect(interactions).toBeGreaterThanOrEqual(8);
  });

  it.each(pactFiles)('%s', (file) => {
    const pact = JSON.parse(readFileSync(path.join(pactDir, file), 'utf8')) as PactFile;
    const valid = validate(pact);
    expect(ajv.errorsText(validate.errors, { dataVar: file })).toBe('No errors');
    expect(valid).toBe(true);
    expect(pact.metadata.pactSpecification.version).toBe('4.0');
    expect(pact.interactions.every((interaction) => interaction.type === 'Asynchronous/Messages')).toBe(true);
  });

  it('the schema rejects a broken pact (the check can fail)', () => {
    const first = pactFiles[0];
    if (!first) throw new Error('no pact files');
    const pact = JSON.parse(readFileSync(path.join(pactDir, first), 'utf8')) as Record<string, unknown>;
    expect(validate({ ...pact, consumer: { id: 'no name' } })).toBe(false);
  });
});
