import { Connection } from 'rabbitmq-client';
import type { ExchangeType } from '../transport';
import { AmqpTransportError } from './amqp-transport-error';
import { connectionName } from './connection-name';
import { execRabbitmqctl, type RabbitmqctlOptions } from './rabbitmqctl';

/** An exchange as the system under test says it uses it. */
export interface ExpectedExchange {
  readonly name: string;
  readonly type: ExchangeType;
}

/** What the broker has for one expected exchange. */
export interface CheckedExchange {
  readonly name: string;
  /** The type to bind to it with: the broker's when it could be read, else the expected one. */
  readonly type: ExchangeType;
  /** It existed before the check (else `declareMissing` created it, or it is still missing). */
  readonly existed: boolean;
  /** The broker's type could be read (`rabbitmqctl list_exchanges`); false means the expected type was trusted. */
  readonly typeVerified: boolean;
}

/**
 * Checks exchanges without touching them: a passive `exchange.declare` says whether each exists (AMQP cannot
 * report the type passively, so the type comes from `rabbitmqctl list_exchanges`, when it runs). An existing
 * exchange is never redeclared. A type that differs from the expected one throws `exchange-mismatch` (naming
 * both); a missing exchange is declared (durable, expected type) only with `declareMissing`.
 */
export async function checkExchanges(
  url: string,
  expected: readonly ExpectedExchange[],
  options: {
    readonly vhost?: string;
    readonly declareMissing?: boolean;
    readonly rabbitmqctl?: RabbitmqctlOptions;
  } = {},
): Promise<CheckedExchange[]> {
  const connection = new Connection({
    url,
    connectionName: connectionName('exchange-check'),
    retryLow: 100,
    retryHigh: 1_000,
  });
  connection.on('error', () => undefined);
  try {
    const existing = new Set<string>();
    for (const exchange of expected) {
      const found = await connection.exchangeDeclare({ exchange: exchange.name, passive: true }).then(
        () => true,
        () => false,
      );
      if (found) existing.add(exchange.name);
    }
    const brokerTypes =
      existing.size > 0 ? await listExchangeTypes(options.vhost ?? '/', options.rabbitmqctl) : undefined;
    const checked: CheckedExchange[] = [];
    for (const exchange of expected) {
      const actual = brokerTypes?.get(exchange.name);
      if (existing.has(exchange.name)) {
        if (actual !== undefined && actual !== exchange.type) {
          throw new AmqpTransportError(
            'exchange-mismatch',
            `exchange "${exchange.name}" is a ${actual} exchange on the broker, but the manifest says ${exchange.type}: ` +
              `fix broker.exchanges (Troupe never redeclares an existing exchange)`,
          );
        }
        checked.push({
          name: exchange.name,
          type: actual ?? exchange.type,
          existed: true,
          typeVerified: actual !== undefined,
        });
        continue;
      }
      if (options.declareMissing) {
        await connection
          .exchangeDeclare({ exchange: exchange.name, type: exchange.type, durable: true })
          .catch((error: unknown) => {
            throw new AmqpTransportError(
              'declare-failed',
              `could not declare exchange "${exchange.name}" (${exchange.type})`,
              {
                cause: error,
              },
            );
          });
      }
      checked.push({ name: exchange.name, type: exchange.type, existed: false, typeVerified: false });
    }
    return checked;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Exchange name → type in `vhost`, from `rabbitmqctl list_exchanges`; undefined when rabbitmqctl cannot run. */
export async function listExchangeTypes(
  vhost: string,
  options: RabbitmqctlOptions = {},
): Promise<Map<string, ExchangeType> | undefined> {
  const command = options.command ?? process.env['RABBITMQCTL'] ?? 'rabbitmqctl';
  const run = options.run ?? execRabbitmqctl;
  let output: string;
  try {
    output = await run(command, ['-q', 'list_exchanges', '-p', vhost, 'name', 'type']);
  } catch {
    return undefined;
  }
  const types = new Map<string, ExchangeType>();
  for (const line of output.split('\n')) {
    const [name, type] = line.split('\t');
    if (name === undefined || type === undefined) continue;
    const kind = type.trim();
    if (kind === 'topic' || kind === 'fanout' || kind === 'direct' || kind === 'headers')
      types.set(name, kind);
  }
  return types;
}
