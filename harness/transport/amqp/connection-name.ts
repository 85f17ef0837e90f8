import { randomBytes } from 'node:crypto';

const PURPOSE = /^[A-Za-z0-9_.-]{1,80}$/;

/**
 * A connection name unique to this process and call: `troupe.<purpose>.<pid>.<random>`. It shows up in
 * `rabbitmqctl list_connections client_properties`, so a test or chaos tool can close exactly its own
 * connections (`closeOwnConnections(name)`) without disturbing anyone else's on a shared broker.
 */
export function connectionName(purpose: string): string {
  if (!PURPOSE.test(purpose)) {
    throw new RangeError(
      `connectionName: purpose ${JSON.stringify(purpose)} must be 1-80 characters from [A-Za-z0-9_.-]`,
    );
  }
  return `troupe.${purpose}.${process.pid}.${randomBytes(4).toString('hex')}`;
}
