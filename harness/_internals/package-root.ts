import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/**
 * The directory of Troupe's own package.json: the repository when running from source, `node_modules/troupe`
 * when installed. Files that ship beside the code (the reference shop's scenarios) are found from here, not from
 * the working directory, which is the user's project.
 */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  // From source this file is harness/_internals/; built, it is one chunk in dist/. Walk up to the manifest.
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && isTroupeManifest(manifest)) return (cached = dir);
    if (path.dirname(dir) === dir) throw new Error(`troupe: no package.json of troupe above ${__dirname}`);
  }
}

function isTroupeManifest(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'troupe';
  } catch {
    return false;
  }
}
