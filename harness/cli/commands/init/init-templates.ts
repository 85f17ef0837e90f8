import type { TestRunner } from './detect-test-runner';

/** What the templates are filled with. */
export interface TemplateValues {
  /** Shown in reports: the project's package name. */
  readonly name: string;
  /** The exchange the example flow travels on. */
  readonly exchange: string;
}

/** The manifest: broker, services (an example left commented), Troupe's envelope, one example flow. */
export function configTemplate({ name, exchange }: TemplateValues): string {
  return `// Written by \`troupe init\`: how Troupe finds your broker, runs your services and reads your messages.
// Rename the example flow's events to yours; \`defineConfig\` type-checks the manifest as you edit it.
import { defineConfig } from 'troupe';

export default defineConfig({
  name: ${quote(name)},
  // The broker: AMQP_URL, else amqp://guest:guest@127.0.0.1:5672. Each exchange your services publish to.
  broker: {
    exchanges: [{ name: ${quote(exchange)}, type: 'topic' }],
  },
  // The services Troupe starts for scenarios and fuzzing, one process each; each gets the broker URL in AMQP_URL.
  services: {
    // example: { command: 'node', args: ['src/example-service.js'], ready: { log: 'ready', timeout: '10s' } },
  },
  // Troupe's envelope { eventId, eventType, version, timestamp, correlationId, causationId, payload }; see the
  // docs for CloudEvents, AMQP properties, JSON paths or a function of your own.
  adapter: 'troupe',
  flows: {
    example: {
      start: {
        publish: {
          routingKey: 'example.requested',
          body: {
            eventId: '{{uuid}}',
            eventType: 'ExampleRequested',
            version: '1.0',
            timestamp: '{{now}}',
            correlationId: '{{uuid}}',
            causationId: '{{uuid}}',
            payload: { exampleId: '{{flow.key}}' },
          },
        },
      },
      key: 'exampleId',
      terminal: ['ExampleCompleted'],
    },
  },
});
`;
}

/** One scenario of the example flow: requested once, completed exactly once. */
export function scenarioTemplate({ exchange }: TemplateValues): string {
  return `# Written by \`troupe init\`: one end-to-end story of the example flow (\`npx troupe scenarios\`).
name: an example request is completed once
description: ExampleRequested is answered by exactly one ExampleCompleted, caused by it.
when:
  - publish:
      as: example
      exchange: ${exchange}
      routingKey: example.requested
      body: # Troupe's envelope (the manifest's adapter): {{uuid NAME}} is a new id, {{flow.key}} the flow's key
        eventId: '{{uuid request}}'
        eventType: ExampleRequested
        version: '1.0'
        correlationId: '{{flow.correlationId}}'
        causationId: '{{flow.correlationId}}'
        payload: { exampleId: '{{flow.key}}' }
then:
  flows:
    example:
      chain: [ExampleRequested, ExampleCompleted]
      terminal: ExampleCompleted
      counts: { ExampleCompleted: 1 }
within: 10s
`;
}

/** How the test file is written: the runner, and whether it may be TypeScript. */
export interface TestFlavour {
  readonly runner: TestRunner;
  readonly typescript: boolean;
}

/** The test file's extension for a flavour: Jest without a TypeScript transform gets CommonJS. */
export function testFileExtension({ runner, typescript }: TestFlavour): string {
  return runner === 'jest' && !typescript ? '.cjs' : '.ts';
}

/**
 * A test that publishes the example flow's first event on the real broker and asserts, with Troupe's matchers,
 * that the system answers it exactly once. Broker and exchange come from troupe.config.ts through `loadConfig`.
 */
export function testTemplate(flavour: TestFlavour): string {
  const typescript = testFileExtension(flavour) === '.ts';
  const setup = flavour.runner === 'jest' ? 'troupe/jest' : 'troupe/vitest';
  const header = `// Written by \`troupe init\`: the example flow through your running services on the real broker, asserted
// with Troupe's flow matchers. It publishes ExampleRequested and expects one ExampleCompleted caused by it.
// Broker and exchange come from troupe.config.ts. ${setup} adds the matchers to \`expect\` and closes the tap and
// the connection after this file.
`;
  const imports = typescript
    ? `import '${setup}';
${flavour.runner === 'vitest' ? "import { beforeAll, expect, test } from 'vitest';\n" : ''}import {
  AmqpTransport,
  flow,
  loadConfig,
  newEventId,
  startTap,
  troupeEnvelopeAdapter,
  type StartedTap,
} from 'troupe';
`
    : `require('${setup}');
const { AmqpTransport, flow, loadConfig, newEventId, startTap, troupeEnvelopeAdapter } = require('troupe');
`;
  const declarations = typescript
    ? `let transport: AmqpTransport;
let tap: StartedTap;
let exchange: string;`
    : `let transport;
let tap;
let exchange;`;
  const envelopeSignature = typescript
    ? 'function envelope(eventType: string, payload: Record<string, unknown>)'
    : 'function envelope(eventType, payload)';
  return `${header}${imports}
${declarations}

beforeAll(async () => {
  const { config } = await loadConfig(); // troupe.config.ts in the working directory
  const [first] = config.broker.exchanges;
  if (first === undefined) throw new Error('troupe.config.ts names no exchange');
  // A tap binds "#": enough for a topic or fanout exchange (direct and headers exchanges need their keys).
  if (first.type !== 'topic' && first.type !== 'fanout') throw new Error('this test taps a topic or fanout exchange');
  exchange = first.name;
  transport = new AmqpTransport(config.broker.url === undefined ? {} : { url: config.broker.url });
  // Armed before the stimulus: a fast answer cannot slip past.
  tap = await startTap({
    transport,
    exchange,
    exchangeType: first.type,
    adapter: troupeEnvelopeAdapter('exampleId'),
  });
});

test('an ExampleRequested is answered by exactly one ExampleCompleted', async () => {
  const requested = envelope('ExampleRequested', { exampleId: newEventId() });
  await transport.publish(exchange, {
    routingKey: 'example.requested',
    body: Buffer.from(JSON.stringify(requested)),
    messageId: requested.eventId,
    type: requested.eventType,
    contentType: 'application/json',
  });
  const example = flow(tap.log, requested.correlationId);
  await expect(example).toEventuallyFollowChain(['ExampleRequested', 'ExampleCompleted'], { within: 10_000 });
  await expect(example).toEmitExactlyOnce('ExampleCompleted', { within: 1_000, settle: 300 });
});

/** Troupe's envelope (the manifest's \`adapter: 'troupe'\`); a new flow: its own correlation id. */
${envelopeSignature} {
  const eventId = newEventId();
  const timestamp = new Date().toISOString();
  return { eventId, eventType, version: '1.0', timestamp, correlationId: eventId, causationId: eventId, payload };
}
`;
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
