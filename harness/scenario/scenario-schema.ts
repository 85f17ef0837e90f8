import { z } from 'zod';
import { durationPattern, parseDuration } from './duration';

/**
 * The vocabulary a scenario is checked against: which event types exist (from the target's event catalog) and
 * which services can be named in faults. Taken as data so the harness never imports the services it tests.
 */
export interface ScenarioVocabulary {
  readonly eventTypes: readonly string[];
  readonly services: readonly string[];
  /** Order statuses the target reports (`then.orders.*.status`); any string when omitted. */
  readonly orderStatuses?: readonly string[];
  /** Event types that end a flow: every flow must reach exactly one of them. */
  readonly terminalEventTypes?: readonly string[];
}

const alias = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, 'a name: lower case letters, digits, "-" or "_", starting with a letter');
const skuKey = z.string().regex(/^[A-Z0-9-]{3,24}$/, 'a SKU: 3-24 of A-Z, 0-9, "-"');

/** `500ms`, `10s`, `2m` → milliseconds. */
const duration = z
  .string()
  .regex(durationPattern, 'bad duration: write it like "500ms", "10s" or "2m"')
  .transform((text) => parseDuration(text) ?? 0)
  .meta({ description: 'A duration: "500ms", "10s", "1.5m".' });

function oneOf(values: readonly string[], what: string): z.ZodType<string> {
  const known = values.join(', ');
  if (values.length === 0) return z.string();
  return z.enum(values as [string, ...string[]], {
    error: (issue) => `unknown ${what} ${JSON.stringify(issue.input)} (known: ${known})`,
  });
}

/**
 * Builds the zod schema of a scenario spec for a vocabulary. Event types and service names become enums, so the
 * published JSON Schema offers them as completions and a typo is reported at its line.
 */
export function createScenarioSchema(vocabulary: ScenarioVocabulary) {
  const eventType = oneOf(vocabulary.eventTypes, 'event type');
  const service = oneOf(vocabulary.services, 'service');
  const status = vocabulary.orderStatuses ? oneOf(vocabulary.orderStatuses, 'order status') : z.string();
  const count = z.union([
    z.number().int().nonnegative(),
    z.strictObject({
      min: z.number().int().nonnegative().optional(),
      max: z.number().int().nonnegative().optional(),
    }),
  ]);

  const customer = z.strictObject({
    tier: z.enum(['standard', 'premium']).default('standard'),
    email: z.email().optional(),
  });

  const gatewayRule = z.strictObject({
    /** Applies to this customer's charges / refunds. */
    customer: alias.optional(),
    /** Applies to amounts of at least this many minor units. */
    minAmountMinor: z.number().int().nonnegative().optional(),
  });

  const given = z.strictObject({
    /** Units on hand per SKU. */
    stock: z.record(skuKey, z.number().int().nonnegative()).default({}),
    /** Customers by name; ids and e-mails are generated per run. */
    customers: z.record(alias, customer).default({}),
    gateway: z
      .strictObject({
        declines: z
          .array(
            gatewayRule.extend({
              reason: z.enum(['declined', 'insufficient_funds']).default('declined'),
            }),
          )
          .default([]),
        refundFailures: z
          .array(gatewayRule.extend({ reason: z.string().min(1).default('gateway refused refund') }))
          .default([]),
      })
      .default({ declines: [], refundFailures: [] }),
  });

  const placeOrder = z.strictObject({
    /** Name for the order(s), used in `then.orders`. */
    as: alias.optional(),
    customer: alias,
    items: z
      .array(
        z.strictObject({
          sku: skuKey,
          quantity: z.number().int().positive(),
          unitPriceMinor: z.number().int().nonnegative().default(1000),
        }),
      )
      .min(1),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'ISO 4217 currency code')
      .default('EUR'),
    fraudScore: z.number().min(0).max(1).default(0.05),
    /** Places this many identical orders at once (each its own flow), e.g. to compete for stock. */
    count: z.number().int().min(1).max(500).default(1),
  });

  const publish = z.strictObject({
    /** Name for the flow this event starts, used in `then.orders`. */
    as: alias.optional(),
    event: eventType,
    /** The payload; `{{uuid NAME}}` is replaced by a uuid generated once per run for NAME. */
    payload: z.record(z.string(), z.unknown()),
  });

  const when = z.union([z.strictObject({ placeOrder }), z.strictObject({ publish })]);

  const fault = z.union([
    z.strictObject({
      duplicate: z.strictObject({ event: eventType, copies: z.number().int().min(1).max(10).default(1) }),
    }),
    z.strictObject({
      delay: z.strictObject({ event: eventType, by: duration, service: service.optional() }),
    }),
    z.strictObject({
      reorder: z.strictObject({
        event: eventType,
        window: duration.prefault('1s'),
        service: service.optional(),
      }),
    }),
    z.strictObject({
      redeliver: z.strictObject({
        event: eventType,
        /** Which consumer crashes after processing, before its ack; every consumer when omitted. */
        service: service.optional(),
        times: z.number().int().min(1).max(5).default(1),
      }),
    }),
    z.strictObject({
      cutConnections: z.strictObject({
        /** Cut once this event has been observed. */
        after: eventType,
        /** Whose connection to cut; every service's when omitted. */
        service: service.optional(),
      }),
    }),
    z.strictObject({ restartService: z.strictObject({ service, after: eventType }) }),
  ]);

  const orderExpectation = z.strictObject({
    /** Events that must appear for the flow, in this order (others may come in between). */
    chain: z.array(eventType).min(1).optional(),
    /** The flow's terminal event, a list of acceptable ones, or `none` for a flow that must not end (a stray event). */
    terminal: z.union([z.literal('none'), eventType, z.array(eventType).min(1)]).optional(),
    /** The order's final status. */
    status: status.optional(),
    /** How many times each event type may be published for the flow. */
    counts: z.partialRecord(eventType, count).optional(),
    /** Events that must never appear for the flow. */
    never: z.array(eventType).optional(),
    /** How many times the broker redelivered the flow's events of each type to a service (crash, cut). */
    redelivered: z.partialRecord(eventType, count).optional(),
    /** Fields the flow's event of that type must carry (a subset match on its payload). */
    payloads: z.partialRecord(eventType, z.record(z.string(), z.unknown())).optional(),
  });

  const then = z.strictObject({
    /** Per order name (`as`), or `"*"` for every order. */
    orders: z.record(z.union([z.literal('*'), alias]), orderExpectation).default({}),
    /** Totals over every flow of the scenario. */
    counts: z.partialRecord(eventType, count).default({}),
    /** Events that must never appear in any flow of the scenario. */
    never: z.array(eventType).default([]),
    /** Final units on hand per SKU. */
    stock: z.record(skuKey, z.number().int()).default({}),
    /** Messages each service must have dead-lettered; any other dead letter fails the scenario. */
    deadLetters: z.partialRecord(service, count).default({}),
    /** After every flow is terminal, keep watching this long for late or forbidden events. */
    settle: duration.prefault('300ms'),
  });

  return z
    .strictObject({
      $schema: z.string().optional(),
      name: z.string().min(1),
      description: z.string().default(''),
      /** Free labels; `troupe scenarios --tag` filters on them. */
      tags: z.array(z.string()).default([]),
      given: given.default({ stock: {}, customers: {}, gateway: { declines: [], refundFailures: [] } }),
      when: z.array(when).min(1),
      faults: z.array(fault).default([]),
      then,
      /** Deadline for every flow to reach its terminal event. */
      within: duration.prefault('30s'),
    })
    .superRefine((spec, ctx) => {
      // Cross references: names used must be declared, so a typo fails at load time with its line.
      const customers = new Set(Object.keys(spec.given.customers));
      const orders = new Set<string>();
      spec.when.forEach((step, index) => {
        if ('placeOrder' in step) {
          if (!customers.has(step.placeOrder.customer)) {
            ctx.addIssue({
              code: 'custom',
              params: { troupeCode: 'unknown-reference' },
              path: ['when', index, 'placeOrder', 'customer'],
              message: `unknown customer "${step.placeOrder.customer}": declare it under given.customers`,
            });
          }
          if (step.placeOrder.as) orders.add(step.placeOrder.as);
        } else if (step.publish.as) {
          orders.add(step.publish.as);
        }
      });
      (['declines', 'refundFailures'] as const).forEach((kind) =>
        spec.given.gateway[kind].forEach((rule, index) => {
          if (rule.customer !== undefined && !customers.has(rule.customer)) {
            ctx.addIssue({
              code: 'custom',
              params: { troupeCode: 'unknown-reference' },
              path: ['given', 'gateway', kind, index, 'customer'],
              message: `unknown customer "${rule.customer}": declare it under given.customers`,
            });
          }
        }),
      );
      for (const name of Object.keys(spec.then.orders)) {
        if (name !== '*' && !orders.has(name)) {
          ctx.addIssue({
            code: 'custom',
            params: { troupeCode: 'unknown-reference' },
            path: ['then', 'orders', name],
            message: `no order is named "${name}": name one with "as: ${name}" under when`,
          });
        }
      }
    });
}

/** The parsed scenario spec: durations in milliseconds, defaults filled in. */
export type ScenarioSpec = z.output<ReturnType<typeof createScenarioSchema>>;
/** A scenario spec as written (before defaults). */
export type ScenarioSpecInput = z.input<ReturnType<typeof createScenarioSchema>>;
/** One step of `when`. */
export type ScenarioStep = ScenarioSpec['when'][number];
/** One entry of `faults`. */
export type ScenarioFault = ScenarioSpec['faults'][number];
/** Per-flow expectations under `then.orders`. */
export type OrderExpectation = ScenarioSpec['then']['orders'][string];
/** An exact count or a `{min, max}` range. */
export type CountExpectation = NonNullable<ScenarioSpec['then']['counts'][string]>;
