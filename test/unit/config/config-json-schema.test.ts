import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import {
  configJsonSchema,
  configJsonSchemaPath,
  configJsonSchemaText,
} from '../../../harness/config/config-json-schema';
import { loadConfig } from '../../../harness/config/load-config';

const fixtures = path.join(__dirname, 'fixtures');
const fixture = async (name: string): Promise<Record<string, unknown>> =>
  parse(await readFile(path.join(fixtures, name), 'utf8')) as Record<string, unknown>;

describe('the manifest JSON Schema (schema/troupe.config.schema.json)', () => {
  it('is current: the shipped file equals what the zod schema generates (regenerate: see its source)', async () => {
    const committed = await readFile(configJsonSchemaPath, 'utf8');
    // Compared as data: Prettier owns the file's layout.
    expect(JSON.parse(committed)).toEqual(JSON.parse(configJsonSchemaText()));
  });

  it('accepts a valid YAML manifest with its $schema pointer and refuses the ones the loader refuses', async () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(configJsonSchema());
    const valid = {
      $schema: `./node_modules/troupe/${configJsonSchemaPath}`,
      ...(await fixture('valid.config.yaml')),
    };
    expect({ valid: validate(valid), errors: validate.errors ?? [] }).toEqual({ valid: true, errors: [] });
    // fanot, comand: the typos the loader names are refused by the editor's schema too.
    expect(validate(await fixture('bad-type.config.yaml'))).toBe(false);
    const paths = (validate.errors ?? []).map((error) => error.instancePath);
    expect(paths).toEqual(expect.arrayContaining(['/broker/exchanges/0/type']));
    expect(validate(await fixture('bad-timeout.config.json'))).toBe(false);
  });

  it('lets the loader read a JSON or YAML manifest that points at it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'troupe-schema-'));
    try {
      const manifest = await fixture('valid.config.yaml');
      writeFileSync(
        path.join(dir, 'troupe.config.json'),
        JSON.stringify({ $schema: `./node_modules/troupe/${configJsonSchemaPath}`, ...manifest }),
      );
      const json = await loadConfig({ dir });
      expect(json.config.broker.exchanges).toEqual([{ name: 'ecommerce', type: 'headers' }]);
      rmSync(path.join(dir, 'troupe.config.json'));
      writeFileSync(
        path.join(dir, 'troupe.config.yaml'),
        `# yaml-language-server: $schema=./node_modules/troupe/${configJsonSchemaPath}\n` +
          `$schema: ./node_modules/troupe/${configJsonSchemaPath}\n` +
          (await readFile(path.join(fixtures, 'valid.config.yaml'), 'utf8')),
      );
      const yaml = await loadConfig({ dir });
      expect(yaml.config.flows['order']?.terminal).toEqual(['OrderShipped']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
