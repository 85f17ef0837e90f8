import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A 1-based position in a source file. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * Finds where `path` lives in a parsed YAML document. When the path ends at a missing key, the position of the
 * deepest node that exists (its parent) is returned; `atKey` points at a map key rather than its value (for
 * unknown fields).
 */
export function locateInYaml(
  document: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  atKey = false,
): SourcePosition {
  let node: unknown = document.contents;
  let position = offsetOf(node) ?? 0;
  for (let index = 0; index < path.length; index++) {
    const segment = path[index];
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      const keyOffset = offsetOf(pair.key);
      const valueOffset = offsetOf(pair.value);
      if (last && atKey) {
        position = keyOffset ?? position;
        break;
      }
      position = valueOffset ?? keyOffset ?? position;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      position = offsetOf(item) ?? position;
      node = item;
    } else {
      break;
    }
  }
  const { line, col } = lineCounter.linePos(position);
  return { line, column: col };
}

function offsetOf(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as Node).range;
    return range ? range[0] : undefined;
  }
  return undefined;
}
