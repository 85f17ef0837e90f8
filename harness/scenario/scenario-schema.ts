import { z } from 'zod';
import { durationPattern, parseDuration } from './duration';
import type { ScenarioCapability, ScenarioFaultKind, ScenarioVocabulary } from './scenario-vocabulary';

/**
 * The core scenario spec: it speaks only of messages, flows, services and probes. A target adds its own steps
 * and probes (each a zod schema) through its `ScenarioVocabulary`; they are merged in here, so the spec and its
 * JSON Schema know them. Parsed specs are normalised: every step, fault and probe has a `kind`.
 */

/** Fields every flow-starting step has: name the flow it starts, join an existing one, or start several. */
export interface FlowFields {
  /** Starts a new flow under this name (`then.flows.<as>`); with `count` > 1 the flows are `as#1`, `as#2`… */
  readonly as?: string | undefined;
  /** Runs inside this flow (started by an earlier step): `{{flow.key}}` is its key. */
  readonly flow?: string | undefined;
  /** Runs the step this many times at once, each a flow of its own. */
  readonly count: number;
}

/** `publish`: one message onto an exchange (or straight to a queue). */
export interface PublishStep extends FlowFields {
  readonly kind: 'publish';
  /** The event type; the target encodes `payload` in its envelope. Omit it when `body` is the whole message. */
  readonly event?: string | undefined;
  readonly exchange?: string | undefined;
  readonly routingKey?: string | undefined;
  /** Sent to this queue through the default exchange (`sendToQueue`) instead of an exchange. */
  readonly queue?: string | undefined;
  /** The event's payload (a template), put in the target's envelope. */
  readonly payload?: Readonly<Record<string, unknown>> | undefined;
  /** The whole message body (a template), sent as it is: JSON for objects, text for strings. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
  readonly properties?: MessageProperties | undefined;
}

/** AMQP properties a `publish` step may set (templates). */
export interface MessageProperties {
  readonly messageId?: string | undefined;
  readonly correlationId?: string | undefined;
  readonly type?: string | undefined;
  readonly contentType?: string | undefined;
}

/** `http`: one HTTP request (a command sent to a service's API). */
export interface HttpStep extends FlowFields {
  readonly kind: 'http';
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** JSON body (a template). */
  readonly body?: unknown;
  /** Accepted status codes; any 2xx when omitted. */
  readonly status?: readonly number[] | undefined;
}

/** `run`: one command (a CLI of the system under test, a seeding script). */
export interface RunStep extends FlowFields {
  readonly kind: 'run';
  readonly command: string;
  /** Arguments (templates); without them `command` runs through the shell. */
  readonly args?: readonly string[] | undefined;
  readonly cwd?: string | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly exitCode: number;
  /** ms */
  readonly timeout: number;
}

/** `wait`: a pause, or until an event type is observed (in a flow, when named). */
export interface WaitStep {
  readonly kind: 'wait';
  /** ms to wait, when it is a plain pause. */
  readonly ms?: number | undefined;
  readonly for?: string | undefined;
  readonly flow?: string | undefined;
  /** ms; how long to wait for `for` (default: the scenario's `within`). */
  readonly within?: number | undefined;
}

/** A step the target defined, with its own validated fields. */
export interface TargetStep extends FlowFields {
  readonly kind: 'target';
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
}

/** One step of `given` or `when`. */
export type ScenarioStep = PublishStep | HttpStep | RunStep | WaitStep | TargetStep;

/** When a lifecycle fault fires: after the first observation of `after`, or as `when` starts. */
interface Triggered {
  readonly after?: string | undefined;
}

/** One entry of `faults`, normalised. */
export type ScenarioFault =
  | {
      readonly kind: 'duplicate';
      readonly event: string;
      readonly copies: number;
      readonly service?: string | undefined;
    }
  | {
      readonly kind: 'delay';
      readonly event: string;
      readonly by: number;
      readonly service?: string | undefined;
    }
  | {
      readonly kind: 'reorder';
      readonly event: string;
      readonly window: number;
      readonly service?: string | undefined;
    }
  | {
      readonly kind: 'redeliver';
      readonly event: string;
      readonly times: number;
      readonly service?: string | undefined;
    }
  | ({ readonly kind: 'cut'; readonly service?: string | undefined } & Triggered)
  | ({
      readonly kind: 'kill';
      readonly service: string;
      /** ms after the kill to start the service again; it stays down when omitted. */
      readonly restartAfter?: number | undefined;
    } & Triggered)
  | ({ readonly kind: 'restart'; readonly service: string } & Triggered)
  | ({ readonly kind: 'pause'; readonly service: string; readonly for: number } & Triggered);

/** A probe of final state, normalised. */
export type ScenarioProbe =
  | {
      readonly kind: 'http';
      readonly url: string;
      readonly headers?: Readonly<Record<string, string>> | undefined;
      readonly status: number;
      /** JSON subset the response body must contain. */
      readonly json?: unknown;
    }
  | {
      readonly kind: 'sql';
      readonly query: string;
      readonly params: readonly unknown[];
      /** Rows the query must return, in order; each a subset of the returned row. */
      readonly rows: readonly Readonly<Record<string, unknown>>[];
      /** PostgreSQL URL; default: the target's database, else `DATABASE_URL`. */
      readonly url?: string | undefined;
    }
  | {
      readonly kind: 'run';
      readonly command: string;
      readonly args?: readonly string[] | undefined;
      readonly cwd?: string | undefined;
      readonly env?: Readonly<Record<string, string>> | undefined;
      readonly exitCode: number;
      /** JSON subset stdout must contain. */
      readonly stdout?: unknown;
    }
  | { readonly kind: 'target'; readonly name: string; readonly args: Readonly<Record<string, unknown>> };

/** An exact count or a `{min, max}` range. */
export type CountExpectation =
  number | { readonly min?: number | undefined; readonly max?: number | undefined };

/** Per-flow expectations under `then.flows`. */
export interface FlowExpectation {
  readonly chain?: readonly string[] | undefined;
  /** An event type, a list of acceptable ones, or `none` (the flow must not end). */
  readonly terminal?: string | readonly string[] | undefined;
  readonly counts?: Readonly<Partial<Record<string, CountExpectation>>> | undefined;
  readonly never?: readonly string[] | undefined;
  readonly redelivered?: Readonly<Partial<Record<string, CountExpectation>>> | undefined;
  readonly payloads?: Readonly<Partial<Record<string, Readonly<Record<string, unknown>>>>> | undefined;
}

/** The parsed scenario spec: durations in milliseconds, defaults filled in, steps/faults/probes normalised. */
export interface ScenarioSpec {
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly given: readonly ScenarioStep[];
  readonly when: readonly ScenarioStep[];
  readonly faults: readonly ScenarioFault[];
  readonly then: {
    readonly flows: Readonly<Record<string, FlowExpectation>>;
    readonly counts: Readonly<Partial<Record<string, CountExpectation>>>;
    readonly never: readonly string[];
    readonly probes: readonly ScenarioProbe[];
    readonly deadLetters: Readonly<Partial<Record<string, CountExpectation>>>;
    /** ms */
    readonly settle: number;
  };
  /** ms */
  readonly within: number;
}

const alias = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, 'a name: lower case letters, digits, "-" or "_", starting with a letter');

/** `500ms`, `10s`, `2m` → milliseconds. */
const duration = z
  .string()
  .regex(durationPattern, 'bad duration: write it like "500ms", "10s" or "2m"')
  .transform((text) => parseDuration(text) ?? 0)
  .meta({ description: 'A duration: "500ms", "10s", "1.5m".' });

function oneOf(values: readonly string[], what: string): z.ZodType<string> {
  const known = values.join(', ');
  if (values.length === 0) return z.string().min(1);
  return z.enum(values as [string, ...string[]], {
    error: (issue) => `unknown ${what} ${JSON.stringify(issue.input)} (known: ${known})`,
  });
}

const count = z.union([
  z.number().int().nonnegative(),
  z.strictObject({
    min: z.number().int().nonnegative().optional(),
    max: z.number().int().nonnegative().optional(),
  }),
]);

const flowFields = {
  as: alias.optional().meta({ description: 'Start a flow under this name (then.flows.<as>).' }),
  flow: alias.optional().meta({ description: 'Run inside this earlier flow: {{flow.key}} is its key.' }),
  count: z
    .number()
    .int()
    .min(1)
    .max(500)
    .default(1)
    .meta({ description: 'Run it this many times at once, each its own flow.' }),
};

const stringMap = z.record(z.string(), z.string());
const httpMethod = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** A branch `{ <key>: <schema> }` of a union, normalised by `normalise`. */
function branch<Out>(
  key: string,
  schema: z.ZodType,
  normalise: (value: never) => Out,
  description?: string,
): z.ZodType<Out> {
  const field = description ? schema.meta({ description }) : schema;
  return z
    .strictObject({ [key]: field })
    .transform((value) => normalise((value as Record<string, unknown>)[key] as never));
}

/**
 * Builds the zod schema of a scenario spec for a vocabulary. Event types and service names become enums, the
 * target's steps and probes become union branches, so the published JSON Schema offers them as completions and a
 * typo is reported at its line.
 */
export function createScenarioSchema(vocabulary: ScenarioVocabulary): z.ZodType<ScenarioSpec> {
  const eventType = oneOf(vocabulary.eventTypes, 'event type');
  const service = oneOf(vocabulary.services, 'service');
  const exchange = vocabulary.exchanges ? oneOf(vocabulary.exchanges, 'exchange') : z.string().min(1);
  const supported = new Set<ScenarioFaultKind>(
    vocabulary.faults ?? ['duplicate', 'delay', 'reorder', 'redeliver', 'cut', 'kill', 'restart', 'pause'],
  );

  const publish = branch(
    'publish',
    z.strictObject({
      ...flowFields,
      event: eventType.optional(),
      exchange: exchange.optional(),
      routingKey: z.string().optional(),
      queue: z.string().min(1).optional(),
      payload: z.record(z.string(), z.unknown()).optional(),
      body: z.unknown().optional(),
      headers: z.record(z.string(), z.unknown()).optional(),
      properties: z
        .strictObject({
          messageId: z.string().optional(),
          correlationId: z.string().optional(),
          type: z.string().optional(),
          contentType: z.string().optional(),
        })
        .optional(),
    }),
    (value: Omit<PublishStep, 'kind'>): PublishStep => ({ kind: 'publish', ...value }),
    "Publish one message: `event` + `payload` in the target's envelope, or a raw `body`. Templates: {{flow.key}}, {{flow.correlationId}}, {{uuid NAME}}, {{flows.NAME.key}}, {{env.NAME}}, {{run.namespace}}.",
  );
  const http = branch(
    'http',
    z.strictObject({
      ...flowFields,
      method: httpMethod.default('POST'),
      url: z.string().min(1),
      headers: stringMap.optional(),
      body: z.unknown().optional(),
      status: z
        .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)])
        .optional(),
    }),
    (value: Omit<HttpStep, 'kind' | 'status'> & { status?: number | number[] }): HttpStep => ({
      ...value,
      kind: 'http',
      status: value.status === undefined ? undefined : [value.status].flat(),
    }),
    'Send one HTTP request (JSON body); fails the run unless the status is 2xx (or one of `status`).',
  );
  const run = branch(
    'run',
    z.strictObject({
      ...flowFields,
      command: z.string().min(1),
      args: z.array(z.string()).optional(),
      cwd: z.string().optional(),
      env: stringMap.optional(),
      exitCode: z.number().int().default(0),
      timeout: duration.prefault('30s'),
    }),
    (value: Omit<RunStep, 'kind'>): RunStep => ({ kind: 'run', ...value }),
    'Run a command (through the shell unless `args` are given); fails the run unless it exits with `exitCode`.',
  );
  const wait = branch(
    'wait',
    z.union([
      duration,
      z.strictObject({ for: eventType, flow: alias.optional(), within: duration.optional() }),
    ]),
    (value: number | { for: string; flow?: string; within?: number }): WaitStep =>
      typeof value === 'number' ? { kind: 'wait', ms: value } : { kind: 'wait', ...value },
    'A pause ("500ms"), or `{ for: EventType, flow? }`: until that event is observed.',
  );

  const targetSteps: z.ZodType<ScenarioStep>[] = Object.entries(vocabulary.steps ?? {}).map(
    ([name, capability]) => {
      const own = capability.schema instanceof z.ZodObject ? capability.schema : undefined;
      const extra = capability.startsFlow ? flowFields : { flow: flowFields.flow };
      // A non-object schema cannot take `as`/`flow`: its value is the step's whole argument.
      const fields = own ? own.extend(extra).strict() : capability.schema;
      return branch(
        name,
        fields,
        (value: unknown): TargetStep => {
          if (!own) return { kind: 'target', name, count: 1, args: { value } };
          const {
            as,
            flow,
            count: times,
            ...args
          } = value as Record<string, unknown> & {
            as?: string;
            flow?: string;
            count?: number;
          };
          return { kind: 'target', name, as, flow, count: times ?? 1, args };
        },
        capability.description,
      );
    },
  );
  const steps = z.union([publish, http, run, wait, ...targetSteps] as unknown as [
    z.ZodType<ScenarioStep>,
    ...z.ZodType<ScenarioStep>[],
  ]);

  const after = eventType
    .optional()
    .meta({ description: 'Fire once this event type is first observed; as `when` starts if omitted.' });
  const faultBranches: z.ZodType<ScenarioFault>[] = [
    branch(
      'duplicate',
      z.strictObject({
        event: eventType,
        copies: z.number().int().min(1).max(10).default(1),
        service: service.optional(),
      }),
      (value: { event: string; copies: number; service?: string }): ScenarioFault => ({
        kind: 'duplicate',
        ...value,
      }),
      'Each delivery of `event` (to `service`, or every consumer) comes `copies` more times.',
    ),
    branch(
      'delay',
      z.strictObject({ event: eventType, by: duration, service: service.optional() }),
      (value: { event: string; by: number; service?: string }): ScenarioFault => ({
        kind: 'delay',
        ...value,
      }),
      'The consumer(s) get `event` `by` late.',
    ),
    branch(
      'reorder',
      z.strictObject({ event: eventType, window: duration.prefault('1s'), service: service.optional() }),
      (value: { event: string; window: number; service?: string }): ScenarioFault => ({
        kind: 'reorder',
        ...value,
      }),
      'A delivery of `event` is held until the next delivery to that consumer was handled (or `window`).',
    ),
    branch(
      'redeliver',
      z.strictObject({
        event: eventType,
        service: service.optional(),
        times: z.number().int().min(1).max(5).default(1),
      }),
      (value: { event: string; times: number; service?: string }): ScenarioFault => ({
        kind: 'redeliver',
        ...value,
      }),
      'The consumer handles `event` but its ack is lost (its connection is cut): the broker redelivers it.',
    ),
    branch(
      'cut',
      z.strictObject({ service: service.optional(), after }),
      (value: { service?: string; after?: string }): ScenarioFault => ({ kind: 'cut', ...value }),
      "Cut the broker connection of `service` (every service's when omitted); it must reconnect by itself.",
    ),
    branch(
      'kill',
      z.strictObject({ service, after, restartAfter: duration.optional() }),
      (value: { service: string; after?: string; restartAfter?: number }): ScenarioFault => ({
        kind: 'kill',
        ...value,
      }),
      'SIGKILL the service (named in the manifest); start it again `restartAfter` later, if given.',
    ),
    branch(
      'restart',
      z.strictObject({ service, after }),
      (value: { service: string; after?: string }): ScenarioFault => ({ kind: 'restart', ...value }),
      'Stop the service gracefully and start it again.',
    ),
    branch(
      'pause',
      z.strictObject({ service, after, for: duration }),
      (value: { service: string; after?: string; for: number }): ScenarioFault => ({
        kind: 'pause',
        ...value,
      }),
      "Hold every delivery to the service's consumers for `for`, then let them through.",
    ),
  ];
  const fault = z.union(faultBranches as [z.ZodType<ScenarioFault>, ...z.ZodType<ScenarioFault>[]]);

  const probeBranches: z.ZodType<ScenarioProbe>[] = [
    branch(
      'http',
      z.strictObject({
        url: z.string().min(1),
        headers: stringMap.optional(),
        status: z.number().int().min(100).max(599).default(200),
        json: z.unknown().optional(),
      }),
      (value: Omit<Extract<ScenarioProbe, { kind: 'http' }>, 'kind'>): ScenarioProbe => ({
        kind: 'http',
        ...value,
      }),
      'GET `url`; the status must be `status` (200) and the JSON body contain `json` (a subset).',
    ),
    branch(
      'sql',
      z.strictObject({
        query: z.string().min(1),
        params: z.array(z.unknown()).default([]),
        rows: z.array(z.record(z.string(), z.unknown())),
        url: z.string().optional(),
      }),
      (value: Omit<Extract<ScenarioProbe, { kind: 'sql' }>, 'kind'>): ScenarioProbe => ({
        kind: 'sql',
        ...value,
      }),
      'Run a PostgreSQL query ($1… are `params`); it must return exactly `rows` (each a subset of its row).',
    ),
    branch(
      'run',
      z.strictObject({
        command: z.string().min(1),
        args: z.array(z.string()).optional(),
        cwd: z.string().optional(),
        env: stringMap.optional(),
        exitCode: z.number().int().default(0),
        stdout: z.unknown().optional(),
      }),
      (value: Omit<Extract<ScenarioProbe, { kind: 'run' }>, 'kind'>): ScenarioProbe => ({
        kind: 'run',
        ...value,
      }),
      'Run a command; it must exit with `exitCode` and print JSON containing `stdout` (a subset).',
    ),
    ...Object.entries(vocabulary.probes ?? {}).map(([name, capability]) =>
      branch(
        name,
        capability.schema instanceof z.ZodObject ? capability.schema.strict() : capability.schema,
        (value: unknown): ScenarioProbe => ({
          kind: 'target',
          name,
          args: capability.schema instanceof z.ZodObject ? (value as Record<string, unknown>) : { value },
        }),
        capability.description,
      ),
    ),
  ];
  const probe = z.union(probeBranches as [z.ZodType<ScenarioProbe>, ...z.ZodType<ScenarioProbe>[]]);

  const flowExpectation = z.strictObject({
    /** Events that must appear for the flow, each caused by the previous one (others may come in between). */
    chain: z.array(eventType).min(1).optional(),
    /** The flow's terminal event, a list of acceptable ones, or `none` for a flow that must not end. */
    terminal: z.union([z.literal('none'), eventType, z.array(eventType).min(1)]).optional(),
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
    /** Per flow name (`as`), or `"*"` for every flow. */
    flows: z.record(z.union([z.literal('*'), alias]), flowExpectation).default({}),
    /** Totals over every flow of the scenario (publications). */
    counts: z.partialRecord(eventType, count).default({}),
    /** Events that must never appear in any flow of the scenario. */
    never: z.array(eventType).default([]),
    /** Final state: HTTP, SQL, command, or the target's own probes. Retried until they hold or `within` ends. */
    probes: z.array(probe).default([]),
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
      /** State before the story: the target's fixtures (applied as it starts), then steps run in order. */
      given: z.array(steps).default([]),
      /** The story: steps run in order; `as` names the flows they start. */
      when: z.array(steps).min(1),
      faults: z.array(fault).default([]),
      then: then.prefault({}),
      /** Deadline for every flow to reach its terminal event, from the first `when` step. */
      within: duration.prefault('30s'),
    })
    .superRefine((spec, ctx) => {
      // Cross references: names used must be declared, so a typo fails at load time with its line.
      const flows = new Set<string>();
      const stepKey = (step: ScenarioStep): string => (step.kind === 'target' ? step.name : step.kind);
      const visit = (section: 'given' | 'when', list: readonly ScenarioStep[]): void =>
        list.forEach((step, index) => {
          const at = [section, index, stepKey(step)];
          if (step.kind === 'wait') {
            if (step.flow !== undefined && !flows.has(step.flow)) {
              unknownFlow(ctx, [...at, 'flow'], step.flow);
            }
            return;
          }
          if (step.flow !== undefined && !flows.has(step.flow)) unknownFlow(ctx, [...at, 'flow'], step.flow);
          if (step.as !== undefined) {
            if (flows.has(step.as)) {
              ctx.addIssue({
                code: 'custom',
                params: { troupeCode: 'invalid-value' },
                path: [...at, 'as'],
                message: `a flow is already named "${step.as}"`,
              });
            }
            flows.add(step.as);
          }
          if (step.kind === 'publish' && step.event === undefined && step.body === undefined) {
            ctx.addIssue({
              code: 'custom',
              params: { troupeCode: 'missing-field' },
              path: at,
              message: 'publish needs `event` (with `payload`) or a raw `body`',
            });
          }
          if (step.kind === 'publish' && step.payload !== undefined && step.body !== undefined) {
            ctx.addIssue({
              code: 'custom',
              params: { troupeCode: 'invalid-value' },
              path: [...at, 'body'],
              message: 'publish takes `payload` (put in the envelope) or `body` (sent as it is), not both',
            });
          }
        });
      visit('given', spec.given);
      visit('when', spec.when);
      checkDeclarations(spec, vocabulary, ctx);
      for (const name of Object.keys(spec.then.flows)) {
        if (name !== '*' && !flows.has(name)) {
          ctx.addIssue({
            code: 'custom',
            params: { troupeCode: 'unknown-reference' },
            path: ['then', 'flows', name],
            message: `no flow is named "${name}": name one with "as: ${name}" on a step`,
          });
        }
      }
      spec.faults.forEach((entry, index) => {
        if (!supported.has(entry.kind)) {
          ctx.addIssue({
            code: 'custom',
            params: { troupeCode: 'unsupported-fault' },
            path: ['faults', index, entry.kind],
            message:
              `this target cannot apply "${entry.kind}" faults` +
              (vocabulary.faultsUnavailableBecause ? ` (${vocabulary.faultsUnavailableBecause})` : '') +
              ` — it can: ${[...supported].join(', ') || 'none'}`,
          });
        }
      });
    });
}

/**
 * The target's own cross references: a name a step or probe `uses` must be `declared` by an earlier step (a
 * record the target's first step creates and a later step refers to by name).
 */
function checkDeclarations(spec: ScenarioSpec, vocabulary: ScenarioVocabulary, ctx: z.RefinementCtx): void {
  const declared = new Map<string, Set<string>>();
  const use = (
    capability: ScenarioCapability,
    args: Readonly<Record<string, unknown>>,
    at: readonly PropertyKey[],
  ): void => {
    for (const entry of capability.uses?.(argumentOf(capability, args)) ?? []) {
      if (declared.get(entry.kind)?.has(entry.name)) continue;
      ctx.addIssue({
        code: 'custom',
        params: { troupeCode: 'unknown-reference' },
        path: [...at, ...entry.path],
        message: `unknown ${entry.kind} "${entry.name}": declare it in an earlier step`,
      });
    }
  };
  (['given', 'when'] as const).forEach((section) =>
    spec[section].forEach((step, index) => {
      if (step.kind !== 'target') return;
      const capability = vocabulary.steps?.[step.name];
      if (!capability) return;
      use(capability, step.args, [section, index, step.name]);
      for (const entry of capability.declares?.(argumentOf(capability, step.args)) ?? []) {
        const names = declared.get(entry.kind) ?? new Set<string>();
        names.add(entry.name);
        declared.set(entry.kind, names);
      }
    }),
  );
  spec.then.probes.forEach((probe, index) => {
    if (probe.kind !== 'target') return;
    const capability = vocabulary.probes?.[probe.name];
    if (capability) use(capability, probe.args, ['then', 'probes', index, probe.name]);
  });
}

/** What a capability's `run`/`uses`/`declares` get: its fields, or the whole value of a non-object schema. */
export function argumentOf(capability: ScenarioCapability, args: Readonly<Record<string, unknown>>): unknown {
  return capability.schema instanceof z.ZodObject ? args : args['value'];
}

function unknownFlow(ctx: z.RefinementCtx, path: PropertyKey[], name: string): void {
  ctx.addIssue({
    code: 'custom',
    params: { troupeCode: 'unknown-reference' },
    path,
    message: `no earlier step starts a flow named "${name}": name one with "as: ${name}"`,
  });
}
