import type { AdaptedMessage } from './envelope-adapter';

/**
 * Reads a path of an adapter config: a dot path into `document` (`data.orderId`, `items.0.sku`), or — starting
 * with `$` — a field of the AMQP message: `$routingKey`, `$messageId`, `$correlationId`, `$type`,
 * `$headers.<name>`.
 */
export function readMessagePath(message: AdaptedMessage, document: unknown, path: string): unknown {
  if (path.startsWith('$')) {
    const [head, ...rest] = path.slice(1).split('.');
    switch (head) {
      case 'routingKey':
        return message.routingKey;
      case 'messageId':
        return message.messageId;
      case 'correlationId':
        return message.correlationId;
      case 'type':
        return message.type;
      case 'headers':
        return rest.length === 0 ? message.headers : message.headers[rest.join('.')];
      default:
        return undefined;
    }
  }
  let current = document;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** A path's value as an id-like string (strings as they are, finite numbers in decimal), else undefined. */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** The body parsed as JSON, or undefined when it is not JSON (or not UTF-8). */
export function parseJsonBody(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as unknown;
  } catch {
    return undefined;
  }
}
