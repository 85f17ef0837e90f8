import { ContractError } from '../contract-error';
import {
  verifyMessageProvider,
  type MessageProducer,
  type PactSource,
  type StateHandler,
  type VerificationReport,
} from './verify-message-provider';

/**
 * A message as the provider's real code produced it: the serialized body and what travels with it. Everything
 * given here is message metadata the pact's expectations are checked against (`routingKey`, `contentType`,
 * `exchange`, and each header by its own name); nothing is filled in for the producer.
 */
export interface ProducedMessage {
  readonly body: string;
  readonly routingKey?: string;
  readonly contentType?: string;
  readonly exchange?: string;
  /** AMQP headers and properties by name (`type`, `x-event-type`, `ce-type`…). */
  readonly headers?: Readonly<Record<string, string | number | boolean>>;
}

/** The pact message metadata of a produced message. */
export function producedMetadata(message: ProducedMessage): Record<string, string | number | boolean> {
  return {
    ...message.headers,
    ...(message.exchange !== undefined ? { exchange: message.exchange } : {}),
    ...(message.routingKey !== undefined ? { routingKey: message.routingKey } : {}),
    ...(message.contentType !== undefined ? { contentType: message.contentType } : {}),
  };
}

/**
 * A provider under verification. Interactions are named `<EventType>: <what>` (see `eventInteractionName`), so one
 * target serves every pact, from files or a broker, without knowing the descriptions in advance.
 */
export interface MessageProviderTarget {
  readonly provider: string;
  /** The provider states the consumers may name; each adds to the setup of the next `produce`. */
  readonly states: Readonly<Record<string, StateHandler>>;
  /** Runs the provider's real code path until it writes an `eventType` message, then forgets the states. */
  produce(eventType: string): Promise<ProducedMessage>;
}

const interactionName = /^([A-Z][A-Za-z0-9]*): /;

/** The description of an interaction for `eventType`: `OrderPlaced: an order from a premium customer`. */
export function eventInteractionName(eventType: string, what: string): string {
  return `${eventType}: ${what}`;
}

/** The event type an interaction description names, or throws naming the convention. */
export function eventTypeOfInteraction(description: string): string {
  const match = interactionName.exec(description);
  if (!match?.[1]) {
    throw new ContractError(
      'verification-failed',
      `Interaction "${description}" does not start with "<EventType>: " (use eventInteractionName)`,
    );
  }
  return match[1];
}

/** Verifies `target` against the pacts from `source` with the real pact verifier. */
export async function verifyProviderTarget(
  target: MessageProviderTarget,
  source: PactSource,
  options: { readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' } = {},
): Promise<VerificationReport> {
  // The verifier shows a failed producer only as a body mismatch: keep its error to name it in the report.
  const producerErrors = new Map<string, string>();
  const produce: MessageProducer = async (descriptor) => {
    try {
      const message = await target.produce(eventTypeOfInteraction(descriptor.description));
      const body: unknown = JSON.parse(message.body);
      return { __pactMessageMetadata: producedMetadata(message), message: body };
    } catch (error) {
      producerErrors.set(descriptor.description, describeError(error));
      throw error;
    }
  };
  // Descriptions are not known in advance with a broker: answer every one (the verifier looks them up by name).
  const messageProviders = new Proxy<Record<string, MessageProducer>>(
    {},
    {
      // Only interaction names: JSON.stringify (pact-js logs its options) asks for `toJSON`.
      get: (_target, key) => (typeof key === 'string' && interactionName.test(key) ? produce : undefined),
      has: (_target, key) => typeof key === 'string' && interactionName.test(key),
    },
  );
  const report = await verifyMessageProvider({
    provider: target.provider,
    source,
    messageProviders,
    stateHandlers: target.states,
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
  });
  if (producerErrors.size === 0) return report;
  return {
    ...report,
    interactions: report.interactions.map((interaction) => {
      const error = producerErrors.get(interaction.description);
      return error === undefined
        ? interaction
        : { ...interaction, mismatches: [{ path: '(producer)', message: error }, ...interaction.mismatches] };
    }),
  };
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
