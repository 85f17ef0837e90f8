import { randomBytes } from 'node:crypto';

const PURPOSE = /^[A-Za-z0-9_.-]{1,80}$/;

/**
 * A connection name unique to this process and call: `troupe.<purpose>.<pid>.<random>`. It shows up in
 * `rabbitmqctl list_connections client_properties`, so a test or chaos tool can close exactly its own
 * connections (`closeOwnConnections(name)`) without disturbing anyone else's on a shared broker.
 */
export function connectionName(purpose: string): string {
  return `${ownConnectionPrefix(purpose)}${randomBytes(4).toString('hex')}`;
}

/**
 * `troupe.<purpose>.<pid>.`: the prefix of every `connectionName(purpose)` made by this process, so
 * `closeOwnConnections({ prefix })` cuts all of this process's connections for that purpose at once (several
 * services each with their own transport) and nobody else's.
 */
export function ownConnectionPrefix(purpose: string): string {
  if (!PURPOSE.test(purpose)) {
    throw new RangeError(
      `connectionName: purpose ${JSON.stringify(purpose)} must be 1-80 characters from [A-Za-z0-9_.-]`,
    );
  }
  return `troupe.${purpose}.${process.pid}.`;
}
