import type { TargetExchange } from '../../target/target';
import type { Transport } from '../../transport/transport';
import { ContractError } from '../contract-error';
import type { MessageProviderTarget, ProducedMessage } from '../pact/message-provider-target';
import type { StateHandler } from '../pact/verify-message-provider';
import { startTrafficRecorder, type RecordedMessage } from '../record/record-traffic';
import { runContractActions, type ContractActions } from './contract-action';

/** How to verify a producer Troupe did not write, by capturing what it publishes on the broker. */
export interface CaptureProviderSpec {
  /** The provider's name in the pacts (its service name in the manifest). */
  readonly provider: string;
  /** Where it publishes. A direct exchange needs its `routingKeys` (the capture binds one per key). */
  readonly exchanges: readonly TargetExchange[];
  /** Provider states by name: what to do to put the producer in that state (params are `{{variables}}`). */
  readonly states?: Readonly<Record<string, ContractActions>>;
  /**
   * Per event type, what makes the producer publish it: a command, an HTTP call, or the upstream message it
   * reacts to. The provider states named by the interaction have been set up just before.
   */
  readonly triggers: Readonly<Record<string, ContractActions>>;
  /** Whether a captured message is the `eventType` one. Default: AMQP `type`, else body `eventType`/`type`/`event`. */
  readonly isEvent?: (message: RecordedMessage, eventType: string) => boolean;
  /** The exchange's name in the contract (a deployment may prefix names with a namespace). Default: as is. */
  readonly contractExchange?: (exchange: string) => string;
  /** How long to wait for the message after the trigger (ms). Default 10 000. */
  readonly timeoutMs?: number;
}

/**
 * A pact message provider for a foreign producer: for each interaction it arms a capture on the producer's
 * exchanges, runs the trigger, and hands the pact verifier the first `eventType` message the producer really
 * published — body, and as metadata its exchange, routing key, content type and headers. Nothing is produced
 * in-process, so the verdict is about the bytes on the wire, whatever language wrote them.
 */
export function captureProviderTarget(
  transport: Transport,
  spec: CaptureProviderSpec,
): MessageProviderTarget {
  const states: Record<string, StateHandler> = {};
  for (const [name, actions] of Object.entries(spec.states ?? {})) {
    states[name] = (params) =>
      runContractActions(
        actions,
        { variables: { state: name, ...params }, transport },
        `provider state "${name}"`,
      );
  }
  const matches = spec.isEvent ?? defaultIsEvent;
  // What Troupe published itself (an upstream trigger) is never the producer's message.
  const isEvent = (message: RecordedMessage, eventType: string): boolean =>
    message.headers['x-troupe-injected'] === undefined && matches(message, eventType);
  const timeoutMs = spec.timeoutMs ?? 10_000;
  return {
    provider: spec.provider,
    states,
    async produce(eventType): Promise<ProducedMessage> {
      const trigger = spec.triggers[eventType];
      if (!trigger) {
        throw new ContractError(
          'capture-failed',
          `${spec.provider}: no trigger for ${eventType} (triggers: ${Object.keys(spec.triggers).join(', ') || 'none'})`,
        );
      }
      const recorder = await startTrafficRecorder({
        transport,
        exchanges: spec.exchanges,
        bindings: [],
        durationMs: timeoutMs,
        until: (messages) => messages.some((message) => isEvent(message, eventType)),
      });
      try {
        await runContractActions(trigger, { variables: { eventType }, transport }, `trigger of ${eventType}`);
      } catch (error) {
        await recorder.stop();
        throw error;
      }
      const messages = await recorder.finished;
      const captured = messages.find((message) => isEvent(message, eventType));
      if (!captured) {
        const seen = messages.map((message) => eventTypeOf(message) ?? `(${message.routingKey || 'no key'})`);
        throw new ContractError(
          'capture-failed',
          `${spec.provider} published no ${eventType} on ${spec.exchanges.map((exchange) => exchange.name).join(', ')} ` +
            `within ${timeoutMs} ms of its trigger` +
            (seen.length > 0 ? ` (it published: ${seen.join(', ')})` : ' (it published nothing)'),
        );
      }
      return producedFrom(captured, spec.contractExchange ?? ((exchange) => exchange));
    },
  };
}

/** The captured message as the verifier sees it: body, exchange, routing key, content type, headers. */
function producedFrom(
  message: RecordedMessage,
  contractExchange: (exchange: string) => string,
): ProducedMessage {
  const headers: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      headers[name] = value;
  }
  if (message.type !== undefined) headers['type'] = message.type;
  return {
    body: Buffer.from(message.body).toString('utf8'),
    routingKey: message.routingKey,
    exchange: contractExchange(message.exchange),
    ...(message.contentType !== undefined ? { contentType: message.contentType } : {}),
    headers,
  };
}

function defaultIsEvent(message: RecordedMessage, eventType: string): boolean {
  return eventTypeOf(message) === eventType;
}

function eventTypeOf(message: RecordedMessage): string | undefined {
  if (message.type) return message.type;
  try {
    const body = JSON.parse(Buffer.from(message.body).toString('utf8')) as Record<string, unknown>;
    for (const field of ['eventType', 'type', 'event']) {
      if (typeof body[field] === 'string') return body[field];
    }
  } catch {
    // Not JSON: only the AMQP type can say.
  }
  return undefined;
}
