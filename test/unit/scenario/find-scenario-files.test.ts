import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findScenarioFiles, findScenarioFilesSync } from '../../../harness/scenario/find-scenario-files';

describe('findScenarioFiles', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'troupe-find-'));
    for (const file of [
      'specs/a.scenario.yaml',
      'specs/nested/b.scenario.yaml',
      'specs/notes.yaml',
      'specs/.hidden/c.scenario.yaml',
      'specs/node_modules/d.scenario.yaml',
    ]) {
      mkdirSync(path.join(cwd, path.dirname(file)), { recursive: true });
      writeFileSync(path.join(cwd, file), 'name: x\n');
    }
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('takes a file, a directory or a glob, skipping hidden folders and node_modules', async () => {
    expect(await findScenarioFiles('specs/a.scenario.yaml', cwd)).toEqual(['specs/a.scenario.yaml']);
    expect(await findScenarioFiles('specs', cwd)).toEqual([
      'specs/a.scenario.yaml',
      'specs/nested/b.scenario.yaml',
    ]);
    expect(await findScenarioFiles('specs/*.scenario.yaml', cwd)).toEqual(['specs/a.scenario.yaml']);
    expect(await findScenarioFiles('**/?.scenario.yaml', cwd)).toEqual([
      'specs/a.scenario.yaml',
      'specs/nested/b.scenario.yaml',
    ]);
    expect(await findScenarioFiles('specs/missing.scenario.yaml', cwd)).toEqual([]);
    expect(findScenarioFilesSync('specs/**/*.scenario.yaml', cwd)).toEqual(
      await findScenarioFiles('specs/**/*.scenario.yaml', cwd),
    );
  });
});
