/**
 * A typed name for a set of service-state records (`payments.payments`). Values are JSON: the memory store keeps
 * them as given and treats them as immutable, the SQL stores keep them as jsonb.
 */
export interface Collection<T> {
  readonly name: string;
  /** Phantom field: carries the record type; never set. */
  readonly __record?: T;
}

/** Declares a collection; by convention its name starts with the owning service (`inventory.stock`). */
export function collection<T>(name: string): Collection<T> {
  if (!/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/.test(name)) {
    throw new Error(`collection("${name}"): name must be "<service>.<records>" in lower case`);
  }
  return { name };
}
