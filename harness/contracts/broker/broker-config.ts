import { ContractError } from '../contract-error';
import { envValue } from './env-value';

/** How to reach a Pact Broker. Credentials only ever come from the environment and are never printed. */
export interface BrokerConfig {
  readonly baseUrl: string;
  readonly token?: string;
  readonly username?: string;
  readonly password?: string;
}

/** The broker configured by `PACT_BROKER_BASE_URL` (+ `PACT_BROKER_TOKEN` or USERNAME/PASSWORD), or undefined. */
export function brokerFromEnv(env: NodeJS.ProcessEnv = process.env): BrokerConfig | undefined {
  // Empty values count as unset (`PACT_BROKER_TOKEN=` in a CI file means "no token").
  const baseUrl = envValue(env, 'PACT_BROKER_BASE_URL');
  if (!baseUrl) return undefined;
  const token = envValue(env, 'PACT_BROKER_TOKEN');
  const username = envValue(env, 'PACT_BROKER_USERNAME');
  const password = envValue(env, 'PACT_BROKER_PASSWORD');
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    ...(token ? { token } : {}),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/** Like `brokerFromEnv`, but throws a `broker-config` error naming the missing variable. */
export function requireBroker(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  const broker = brokerFromEnv(env);
  if (!broker) {
    throw new ContractError(
      'broker-config',
      'PACT_BROKER_BASE_URL is not set (and PACT_BROKER_TOKEN or PACT_BROKER_USERNAME/PASSWORD if the broker needs them)',
    );
  }
  return broker;
}

/** The broker config with secrets masked, for logs. */
export function describeBroker(broker: BrokerConfig): string {
  const auth = broker.token ? 'token ***' : broker.username ? `basic ${broker.username}:***` : 'no auth';
  return `${broker.baseUrl} (${auth})`;
}
