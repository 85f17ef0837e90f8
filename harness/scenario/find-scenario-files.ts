import { readdirSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';

/** Where scenarios live by default, relative to the working directory. */
export const defaultScenarioGlob = 'scenarios/**/*.scenario.yaml';

/**
 * Lists the spec files matching `pattern` (a file, a directory — every `*.scenario.yaml` under it — or a glob with
 * `*`, `**` and `?`), sorted, relative to `cwd` as given. Node 20 has no `fs.glob`, hence this small walker.
 */
export function findScenarioFiles(pattern = defaultScenarioGlob, cwd = process.cwd()): Promise<string[]> {
  // A project has a handful of spec files: one synchronous walker serves both entry points.
  return Promise.resolve().then(() => findScenarioFilesSync(pattern, cwd));
}

/**
 * Synchronous `findScenarioFiles`, for test files that must declare their tests while being collected (Jest).
 */
export function findScenarioFilesSync(pattern = defaultScenarioGlob, cwd = process.cwd()): string[] {
  const absolute = path.resolve(cwd, pattern);
  let info: ReturnType<typeof statSync> | undefined;
  try {
    info = statSync(absolute);
  } catch {
    info = undefined;
  }
  if (info?.isFile()) return [pattern];
  if (info?.isDirectory()) return findScenarioFilesSync(path.join(pattern, '**/*.scenario.yaml'), cwd);
  const segments = pattern.split(/[\\/]+/);
  const firstWild = segments.findIndex((segment) => /[*?]/.test(segment));
  if (firstWild < 0) return [];
  const base = segments.slice(0, firstWild).join('/') || '.';
  const matcher = globToRegExp(segments.slice(firstWild).join('/'));
  const found: string[] = [];
  const walk = (root: string, relative: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(path.join(root, relative), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(root, child);
      else if (entry.isFile() && matcher.test(child)) found.push(base === '.' ? child : `${base}/${child}`);
    }
  };
  walk(path.resolve(cwd, base), '');
  return found.sort();
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index] ?? '';
    if (char === '*' && glob[index + 1] === '*') {
      // `**/` matches zero or more directories.
      source += glob[index + 2] === '/' ? '(?:.*/)?' : '.*';
      index += glob[index + 2] === '/' ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
