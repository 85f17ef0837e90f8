import { PactV4 } from '@pact-foundation/pact';
import { z } from 'zod';
import {
  addEventInteraction,
  type ProviderStateSpec,
} from '../../../harness/contracts/pact/event-interaction';
import { zodToPact } from '../../../harness/contracts/pact-rules/zod-to-pact';

/**
 * The box office's consumer pacts (examples/box-office: plain JavaScript on amqplib, `{ event, data }` without
 * ids). Its consumers are not TypeScript, so their side is written here from what their code reads, and verified
 * black-box by delivery; the producers are verified by capture. Exchange names are the default namespace's
 * (`box-office.*`): a run under another BOX_OFFICE_NS maps them.
 */

const orderId = '0192f5a0-7c1e-7a3b-8d4e-00000000b0c5';

/** `{ "event": <type>, "data": <payload> }`. */
function envelope<T extends z.ZodType>(event: string, data: T) {
  return z.object({ event: z.literal(event), data });
}

interface BoxOfficeInteraction {
  readonly consumer: 'payments' | 'booking';
  readonly provider: 'booking' | 'payments';
  readonly description: string;
  readonly states?: readonly ProviderStateSpec[];
  readonly schema: z.ZodType;
  readonly example: unknown;
  readonly metadata: Readonly<Record<string, string>>;
}

const json = 'application/json';

/** Every edge of the box office that these pacts cover. */
export const boxOfficeInteractions: readonly BoxOfficeInteraction[] = [
  {
    consumer: 'payments',
    provider: 'booking',
    description: 'ChargeCard: charge the card for the seats held',
    schema: envelope('ChargeCard', z.object({ orderId: z.string().min(1), amountCents: z.int() })),
    example: { event: 'ChargeCard', data: { orderId, amountCents: 9000 } },
    metadata: { exchange: 'box-office.commands', routingKey: 'payments', contentType: json },
  },
  {
    consumer: 'booking',
    provider: 'payments',
    description: 'PaymentProcessed: the card was charged',
    schema: envelope(
      'PaymentProcessed',
      z.object({ orderId: z.string().min(1), chargeId: z.uuid(), amountCents: z.int() }),
    ),
    example: {
      event: 'PaymentProcessed',
      data: { orderId, chargeId: '0192f5a0-7c1e-4a3b-8d4e-0000000c4a26', amountCents: 9000 },
    },
    metadata: { exchange: 'box-office.events', routingKey: '', contentType: json },
  },
  {
    consumer: 'booking',
    provider: 'payments',
    description: 'PaymentDeclined: the amount is over the card limit',
    states: [{ name: 'the amount is over the card limit' }],
    schema: envelope(
      'PaymentDeclined',
      z.object({ orderId: z.string().min(1), reason: z.enum(['over-limit']) }),
    ),
    example: { event: 'PaymentDeclined', data: { orderId, reason: 'over-limit' } },
    metadata: { exchange: 'box-office.events', routingKey: '', contentType: json },
  },
];

/** Writes the box office's pacts into `dir` (`<consumer>-<provider>.json`, pact-js's naming). */
export async function writeBoxOfficePacts(dir: string): Promise<void> {
  for (const interaction of boxOfficeInteractions) {
    const pact = new PactV4({
      consumer: interaction.consumer,
      provider: interaction.provider,
      dir,
      logLevel: 'error',
    });
    const contract = zodToPact(interaction.schema, interaction.example);
    await addEventInteraction(pact, {
      description: interaction.description,
      states: interaction.states ?? [],
      contract,
      metadata: interaction.metadata,
      // The consumer is verified by delivery to the running service; here the example only has to be valid.
    }).executeTest((message) => Promise.resolve(void interaction.schema.parse(message.contents.content)));
  }
}
