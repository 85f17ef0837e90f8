import { z } from 'zod';
import type { EnvelopeAdapter, EventIdentity, AdaptedMessage } from '../events/envelope-adapter';
import type { Invariant } from '../fuzz/invariant';

/*
 * The target manifest (`troupe.config.ts` / `.mjs` / `.js` / `.cjs` / `.json` / `.yaml`): how Troupe finds the
 * broker, runs the user's services, reads their messages and starts their flows. The zod schema below is the
 * single source of truth; the TypeScript types are inferred from it, so `defineConfig` checks what the loader
 * checks. Field names are meant to read well in YAML as much as in TypeScript.
 */

/** `250ms`, `10s`, `1.5m`, or a number of milliseconds. */
export const durationSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+(?:\.\d+)?(?:ms|s|m)$/, 'a duration such as "500ms", "10s" or "2m"'),
]);
/** A duration as written in a manifest: milliseconds, or `500ms` / `10s` / `2m`. */
export type DurationInput = z.infer<typeof durationSchema>;

/** Milliseconds of a manifest duration (already validated by `durationSchema`). */
export function durationMs(value: DurationInput): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value);
  if (!match) return Number.NaN;
  const unit = { ms: 1, s: 1_000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
  return Math.round(Number(match[1]) * unit);
}

const name = z.string().regex(/^[A-Za-z0-9_.:-]{1,255}$/, 'a name of 1-255 characters from [A-Za-z0-9_.:-]');

/** The four AMQP exchange types. */
export const exchangeTypeSchema = z.enum(['topic', 'fanout', 'direct', 'headers']);
export type ExchangeType = z.infer<typeof exchangeTypeSchema>;

/**
 * One exchange the system uses. An exchange that already exists is checked passively and used as it is (never
 * redeclared with another type); a missing one is declared durable with `type`.
 */
export const exchangeConfigSchema = z.strictObject({
  name,
  type: exchangeTypeSchema,
  /**
   * direct exchanges only: the routing keys the system publishes with, so the tap can bind one per key. Without
   * it the tap falls back to RabbitMQ's firehose (`rabbitmqctl trace_on`) for this exchange.
   */
  routingKeys: z.array(z.string()).optional(),
});
export type ExchangeConfig = z.infer<typeof exchangeConfigSchema>;

/** Where the broker is and which exchanges the system publishes to. */
export const brokerConfigSchema = z.strictObject({
  /** AMQP URL. Default: `AMQP_URL`, else `amqp://guest:guest@127.0.0.1:5672`. */
  url: z
    .string()
    .regex(/^amqps?:\/\//, 'an amqp:// or amqps:// URL')
    .optional(),
  /** Virtual host; default the URL's, else `/`. */
  vhost: z.string().optional(),
  exchanges: z.array(exchangeConfigSchema).min(1, 'at least one exchange'),
  /**
   * Queues the services consume from that Troupe should also watch through the firehose (messages sent straight
   * to a queue with `sendToQueue` on the default exchange never reach an exchange tap).
   */
  directQueues: z.array(z.string()).optional(),
});
export type BrokerConfig = z.infer<typeof brokerConfigSchema>;

const logPattern = z.union([z.string().min(1), z.instanceof(RegExp)]);

/**
 * When a service is ready. Exactly one probe key plus an optional `timeout` (default 30s); on timeout the run
 * fails and the error shows the service's last 20 lines of output.
 * - `queue`: a consumer is attached to this queue (checked passively on the broker);
 * - `log`: a line of its stdout/stderr contains this text (a string), or matches this RegExp; a string written
 *   `/…/flags` is read as a regular expression (handy in YAML);
 * - `tcp`: something listens on this port (127.0.0.1), or `{ host, port }`;
 * - `http`: a GET on this URL answers 2xx.
 */
export const readyConfigSchema = z.union([
  z.strictObject({ queue: z.string().min(1), timeout: durationSchema.optional() }),
  z.strictObject({ log: logPattern, timeout: durationSchema.optional() }),
  z.strictObject({
    tcp: z.union([
      z.number().int().min(1).max(65_535),
      z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65_535) }),
    ]),
    timeout: durationSchema.optional(),
  }),
  z.strictObject({ http: z.url(), timeout: durationSchema.optional() }),
]);
export type ReadyConfig = z.infer<typeof readyConfigSchema>;

/** How a service is stopped: `signal` (default SIGTERM), then SIGKILL after `grace` (default 5s). */
export const stopConfigSchema = z.strictObject({
  signal: z.enum(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']).optional(),
  grace: durationSchema.optional(),
});
export type StopConfig = z.infer<typeof stopConfigSchema>;

/** A service Troupe runs as a child process (in its own process group, output kept per run). */
export const processServiceSchema = z.strictObject({
  /** Executable (`node`, `python3`, `./bin/payments`); resolved on PATH like a shell would. */
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  /** Working directory, relative to the manifest's folder. Default: that folder. */
  cwd: z.string().optional(),
  /** Extra environment variables (the parent's environment is inherited). */
  env: z.record(z.string(), z.string()).optional(),
  /**
   * Name of the environment variable through which Troupe hands the service the broker URL it must use (so it
   * can route the service through the chaos proxy). Default `AMQP_URL`.
   */
  brokerUrlEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .optional(),
  /** Queues this service consumes from (for faults aimed at its consumers, and queue readiness). */
  queues: z.array(z.string()).optional(),
  ready: readyConfigSchema.optional(),
  stop: stopConfigSchema.optional(),
});
export type ProcessServiceConfig = z.infer<typeof processServiceSchema>;

/** A service already running elsewhere (compose, another terminal): Troupe never starts or stops it. */
export const externalServiceSchema = z.strictObject({
  external: z.literal(true),
  queues: z.array(z.string()).optional(),
});
export type ExternalServiceConfig = z.infer<typeof externalServiceSchema>;

export const serviceConfigSchema = z.union([processServiceSchema, externalServiceSchema]);
export type ServiceConfig = z.infer<typeof serviceConfigSchema>;

/**
 * Where a message's fields are. A path is a dot path into the JSON body (`data.orderId`, `meta.ids.0`); a path
 * starting with `$` reads the AMQP message instead: `$routingKey`, `$messageId`, `$correlationId`, `$type`,
 * `$headers.<name>`.
 */
export const jsonPathsSchema = z.strictObject({
  /** Event type (required). */
  type: z.string().min(1),
  /** Message id. Omit for formats without one: every publication then counts on its own. */
  id: z.string().min(1).optional(),
  /** Correlation id. Default: the business key. */
  correlation: z.string().min(1).optional(),
  causation: z.string().min(1).optional(),
  /** Business key (what invariants group by). Default: the flow's `key`. */
  key: z.string().min(1).optional(),
  /** Where the payload is (default: the whole body). */
  payload: z.string().min(1).optional(),
  timestamp: z.string().min(1).optional(),
});
export type JsonPaths = z.infer<typeof jsonPathsSchema>;

/** A function adapter: reads one message, or returns undefined when it is not an event it understands. */
export type AdapterFunction = (message: AdaptedMessage) => EventIdentity | undefined;

const isEnvelopeAdapter = (value: unknown): value is EnvelopeAdapter =>
  typeof value === 'object' && value !== null && typeof (value as { read?: unknown }).read === 'function';

/**
 * How Troupe reads the system's messages:
 * - `'troupe'`: Troupe's own envelope (`eventId`, `eventType`, `correlationId`, `causationId`, `payload`);
 * - `'cloudevents'`: CloudEvents AMQP binding, binary (`cloudEvents:`/`cloudEvents_` application properties) and
 *   structured (`application/cloudevents+json`) modes, detected per message;
 * - `'amqp-properties'`: AMQP `message-id`, `type`, `correlation-id` (+ `x-causation-id` header), JSON body;
 * - `{ json: { type, id?, correlation?, causation?, key? } }`: paths into a JSON body;
 * - `{ troupe | cloudevents | 'amqp-properties': { key } }`: a preset with a business-key path;
 * - a function `(message) => identity | undefined`, or an `EnvelopeAdapter` (TypeScript/JS manifests only).
 */
export const adapterConfigSchema = z.union([
  z.enum(['troupe', 'cloudevents', 'amqp-properties']),
  z.strictObject({ json: jsonPathsSchema }),
  z.strictObject({ troupe: z.strictObject({ key: z.string().min(1).optional() }) }),
  z.strictObject({ cloudevents: z.strictObject({ key: z.string().min(1).optional() }) }),
  z.strictObject({ 'amqp-properties': z.strictObject({ key: z.string().min(1).optional() }) }),
  z.custom<AdapterFunction>((value) => typeof value === 'function', 'a function (message) => identity'),
  z.custom<EnvelopeAdapter>(isEnvelopeAdapter, 'an EnvelopeAdapter ({ read(message) })'),
]);
export type AdapterConfig = z.infer<typeof adapterConfigSchema>;

/**
 * A JSON-ish template. Every string may hold placeholders, replaced per flow: `{{flow.key}}` (the flow's
 * generated business key), `{{flow.index}}`, `{{flow.name}}`, `{{uuid}}` (a new UUID v7 per occurrence),
 * `{{now}}` (ISO timestamp). A string that is exactly one placeholder is replaced by the value.
 */
export const templateSchema: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(templateSchema),
    z.record(z.string(), templateSchema),
  ]),
);

/** Start a flow by publishing one message (marked `x-troupe-injected`, so it never counts as the system's). */
export const publishStartSchema = z.strictObject({
  publish: z.strictObject({
    /** Exchange; `''` is the default exchange (`routingKey` = queue). Default: the first exchange. */
    exchange: z.string().optional(),
    routingKey: z.string().default(''),
    /** The body: an object/array is sent as JSON, a string as it is. */
    body: templateSchema,
    headers: z.record(z.string(), templateSchema).optional(),
    /** AMQP properties (`messageId`, `correlationId`, `type`, `contentType`), templated too. */
    properties: z
      .strictObject({
        messageId: z.string().optional(),
        correlationId: z.string().optional(),
        type: z.string().optional(),
        contentType: z.string().optional(),
      })
      .optional(),
  }),
});

/** Start a flow with an HTTP call (2xx expected). */
export const httpStartSchema = z.strictObject({
  http: z.strictObject({
    url: z.string().min(1),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    headers: z.record(z.string(), z.string()).optional(),
    body: templateSchema.optional(),
  }),
});

/** Start a flow with a command (exit code 0 expected); args and env are templated. */
export const runStartSchema = z.strictObject({
  run: z.strictObject({
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
  }),
});

export const flowStartSchema = z.union([publishStartSchema, httpStartSchema, runStartSchema]);
export type FlowStartConfig = z.infer<typeof flowStartSchema>;

const isInvariant = (value: unknown): value is Invariant =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { name?: unknown }).name === 'string' &&
  typeof (value as { check?: unknown }).check === 'function';

/** One kind of flow the system runs (an order, a signup…). */
export const flowConfigSchema = z.strictObject({
  start: flowStartSchema,
  /** Path of the business key in the events' payload (`data.orderId`): how Troupe tells flows apart. */
  key: z.string().min(1),
  /** Template of a new flow's key. Default `{{uuid}}`. */
  keyValue: z.string().optional(),
  /** Event types that end the flow: each flow must reach exactly one. */
  terminal: z.array(z.string().min(1)).min(1, 'at least one terminal event type'),
  /** Types a flow may emit at most once (for the accounting). Default: the terminal types. */
  atMostOnce: z.array(z.string().min(1)).optional(),
  /** Invariants (the DSL of `harness/fuzz/invariant.ts`; TypeScript/JS manifests only). */
  invariants: z.array(z.custom<Invariant>(isInvariant, 'an Invariant ({ name, check })')).optional(),
});
export type FlowConfig = z.infer<typeof flowConfigSchema>;

/** The whole manifest. */
export const troupeConfigSchema = z
  .strictObject({
    /** Shown in reports; default the manifest's folder name. */
    name: z.string().min(1).optional(),
    broker: brokerConfigSchema,
    services: z.record(name, serviceConfigSchema).default({}),
    adapter: adapterConfigSchema.default('troupe'),
    flows: z.record(name, flowConfigSchema).default({}),
  })
  .superRefine((config, context) => {
    // Cross-field checks, so a manifest that cannot work is refused before anything starts.
    const exchanges = config.broker.exchanges.map((exchange) => exchange.name);
    exchanges.forEach((exchange, index) => {
      if (exchanges.indexOf(exchange) !== index) {
        context.addIssue({
          code: 'custom',
          path: ['broker', 'exchanges', index, 'name'],
          message: `exchange "${exchange}" is listed twice`,
        });
      }
    });
    for (const [flow, definition] of Object.entries(config.flows)) {
      if (!('publish' in definition.start)) continue;
      const exchange = definition.start.publish.exchange;
      if (exchange !== undefined && exchange !== '' && !exchanges.includes(exchange)) {
        context.addIssue({
          code: 'custom',
          path: ['flows', flow, 'start', 'publish', 'exchange'],
          message:
            `unknown exchange "${exchange}": list it under broker.exchanges (known: ${exchanges.join(', ')}), ` +
            `or use "" for the default exchange`,
        });
      }
    }
  });

/** A manifest as written (defaults not applied yet): what `defineConfig` takes. */
export type TroupeConfig = z.input<typeof troupeConfigSchema>;
/** A validated manifest with defaults applied: what the loader returns. */
export type ResolvedTroupeConfig = z.output<typeof troupeConfigSchema>;
