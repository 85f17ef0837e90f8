import type { MessageDescriptor } from '@pact-foundation/pact';
import { ContractError } from '../contract-error';
import {
  verifyMessageProvider,
  type MessageProducer,
  type PactSource,
  type VerificationReport,
} from '../pact/verify-message-provider';

/** A producer that serves Pact's HTTP message-provider protocol itself (any language's pact library can). */
export interface HttpMessageProviderSpec {
  readonly provider: string;
  /**
   * Its endpoint: it is POSTed `{ "description", "providerStates" }`, sets up those states itself, and answers
   * with the message as the body and its metadata in a `Pact-Message-Metadata` header (base64 JSON).
   */
  readonly url: string;
}

/**
 * Verifies a producer through its own HTTP message-provider endpoint: each interaction's description and provider
 * states are forwarded to it, and its answer — body and metadata — is what the pact verifier checks.
 */
export function verifyHttpMessageProvider(
  spec: HttpMessageProviderSpec,
  source: PactSource,
  options: { readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' } = {},
): Promise<VerificationReport> {
  const forward: MessageProducer = async (descriptor: MessageDescriptor) => {
    let response: Response;
    try {
      response = await fetch(spec.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          description: descriptor.description,
          providerStates: descriptor.providerStates ?? [],
        }),
      });
    } catch (error) {
      throw new ContractError('capture-failed', `${spec.provider}: ${spec.url} did not answer`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ContractError(
        'capture-failed',
        `${spec.provider}: ${spec.url} answered ${response.status} for "${descriptor.description}": ${text.slice(0, 200)}`,
      );
    }
    const header = response.headers.get('pact-message-metadata');
    const metadata: unknown = header ? JSON.parse(Buffer.from(header, 'base64').toString('utf8')) : {};
    let message: unknown = text;
    try {
      message = JSON.parse(text);
    } catch {
      // Not JSON: the verifier compares it as text.
    }
    return { __pactMessageMetadata: metadata, message };
  };
  // Every description goes to the endpoint; states are the endpoint's business (it gets them with the request).
  const messageProviders = new Proxy<Record<string, MessageProducer>>(
    {},
    {
      get: (_target, key) => (typeof key === 'string' && key !== 'toJSON' ? forward : undefined),
      has: (_target, key) => typeof key === 'string' && key !== 'toJSON',
    },
  );
  return verifyMessageProvider({
    provider: spec.provider,
    messageProviders,
    source,
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
  });
}
