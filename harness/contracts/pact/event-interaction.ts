import type { PactV4 } from '@pact-foundation/pact';
import { ContractError } from '../contract-error';
import type { PactBodyContract, PactBodyRules } from '../pact-rules/types';

type UnconfiguredMessage = ReturnType<PactV4['addAsynchronousInteraction']>;
/** The stage that runs the consumer's handler (pact-js does not export its name from the package root). */
export type EventInteractionWithContent = ReturnType<UnconfiguredMessage['expectsToReceive']>;
type MessageBuilder = Parameters<Parameters<UnconfiguredMessage['expectsToReceive']>[1]>[0];

/** A provider state the consumer's interaction needs ("stock is insufficient"), with optional parameters. */
export interface ProviderStateSpec {
  readonly name: string;
  readonly params?: Readonly<Record<string, string>>;
}

/** One message a consumer expects. */
export interface EventInteractionSpec {
  /** Unique per pact; the provider's message provider is looked up by it. */
  readonly description: string;
  readonly states?: readonly ProviderStateSpec[];
  readonly contract: PactBodyContract;
  /** Message metadata every matching message must carry (e.g. the routing key). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * Adds an asynchronous (message) interaction to a PactV4 consumer pact, with the converter's matching rules.
 * Returns the stage that runs the consumer's handler: `.executeTest(async (message) => handle(message))`.
 */
export function addEventInteraction(pact: PactV4, spec: EventInteractionSpec): EventInteractionWithContent {
  // Pact must never phone home (no network in CI, and users' pipelines should not leak either).
  process.env['PACT_DO_NOT_TRACK'] = 'true';
  process.env['SCARF_ANALYTICS'] = 'false';
  let interaction = pact.addAsynchronousInteraction();
  for (const state of spec.states ?? []) interaction = interaction.given(state.name, state.params);
  return interaction.expectsToReceive(spec.description, (builder) => {
    builder.withJSONContent(spec.contract.content);
    if (spec.metadata && Object.keys(spec.metadata).length > 0) builder.withMetadata({ ...spec.metadata });
    applyBodyRules(builder, spec.contract.rules);
  });
}

interface BuilderInternals {
  readonly message?: { readonly interaction?: { withMatchingRules?: (rules: string) => unknown } };
}

/**
 * pact-js's public `withMatchingRules` drops `combine`, which nullable fields and unions need (`OR`). The FFI
 * underneath takes pact-file rules as they are, so hand them over directly; fail loudly if pact-js changes.
 */
function applyBodyRules(builder: MessageBuilder, rules: PactBodyRules): void {
  const interaction = (builder as unknown as BuilderInternals).message?.interaction;
  if (typeof interaction?.withMatchingRules !== 'function') {
    throw new ContractError(
      'pact-internals-changed',
      'addEventInteraction: this @pact-foundation/pact version does not expose message.interaction.withMatchingRules; ' +
        'update harness/contracts/pact/event-interaction.ts',
    );
  }
  interaction.withMatchingRules(JSON.stringify({ body: rules }));
}
