import { readFile } from 'node:fs/promises';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { findScenarioFiles } from '../../../harness/scenario/find-scenario-files';
import { loadScenarioFile, scenarioLoadOptions } from '../../../harness/scenario/load-scenario';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../../../harness/scenario/scenario-json-schema';
import { shopTarget } from '../../../reference-services/target/shop-target';

const shopLoadOptions = scenarioLoadOptions(shopTarget({ mode: 'sim' }));
const shopVocabulary = shopLoadOptions.vocabulary;

describe('the published scenario JSON Schema', () => {
  it('is current: scenarios/scenario.schema.json equals what the zod schema generates (run `npx troupe scenarios --write-schema`)', async () => {
    const committed = await readFile('scenarios/scenario.schema.json', 'utf8');
    // Compared as data: Prettier owns the file's layout.
    expect(JSON.parse(committed)).toEqual(JSON.parse(scenarioJsonSchemaText(shopVocabulary)));
  });

  it('accepts every shipped scenario and rejects an unknown event type, like the zod schema', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(scenarioJsonSchema(shopVocabulary));
    const files = await findScenarioFiles();
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const file of files) {
      const document: unknown = parse(await readFile(file, 'utf8'));
      expect({ file, valid: validate(document), errors: validate.errors ?? [] }).toEqual({
        file,
        valid: true,
        errors: [],
      });
      await expect(loadScenarioFile(file, shopLoadOptions)).resolves.toMatchObject({ file });
    }
    const broken = parse(await readFile(files[0] ?? '', 'utf8')) as { then: { never?: string[] } };
    broken.then.never = ['OrderTeleported'];
    expect(validate(broken)).toBe(false);
    // The target's own steps are in the schema too: a typo in one of their fields is refused like the core's.
    const typo = parse(await readFile('scenarios/happy-path.scenario.yaml', 'utf8')) as {
      when: { placeOrder: Record<string, unknown> }[];
    };
    const step = typo.when[0];
    if (step) step.placeOrder['colour'] = 'red';
    expect(validate(typo)).toBe(false);
  });
});
