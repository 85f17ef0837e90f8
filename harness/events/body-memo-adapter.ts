import type { AdaptedMessage, EnvelopeAdapter, EventIdentity } from './envelope-adapter';

/**
 * Wraps an adapter whose reading depends on the body alone (Troupe's envelope, CloudEvents structured mode) so
 * that equal bodies are parsed once: a simulator meets the same messages in every schedule of a workload. Equal
 * bodies get the same identity object, so callers must not change it. Holds at most `size` bodies (default 4,096),
 * then starts again. Do not wrap an adapter that reads headers or properties.
 */
export function bodyMemoAdapter(adapter: EnvelopeAdapter, size = 4_096): EnvelopeAdapter {
  const memo = new Map<string, EventIdentity | undefined>();
  return {
    read(message: AdaptedMessage) {
      const { body } = message;
      // latin1 maps every byte to one character: an exact key for the bytes.
      const key = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
      if (memo.has(key)) return memo.get(key);
      const identity = adapter.read(message);
      if (memo.size >= size) memo.clear();
      memo.set(key, identity);
      return identity;
    },
  };
}
