import type { ShopEvent } from '../events/catalog';
import type { KnownBug } from './bugs';
import { randomIds, systemClock, type Clock, type IdGenerator } from './determinism';
import { createHandlerContext, flushEmitted } from './handler-context';
import type { HandlerContext } from './service-definition';
import type { Store } from './store';

/** Dependencies of a command: the store, and injectable time and ids. */
export interface CommandDeps {
  readonly store: Store;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly bugs?: ReadonlySet<KnownBug>;
}

/**
 * Runs a command (e.g. place an order) in one transaction: state change + outbox rows commit together. The command
 * starts a new flow: `correlationId` is new unless given, `causationId` is the command's id.
 */
export async function runCommand<R>(
  deps: CommandDeps & {
    readonly service: string;
    readonly correlationId?: string;
    readonly commandId?: string;
  },
  fn: (context: HandlerContext, ids: { readonly correlationId: string }) => Promise<R>,
): Promise<{ readonly result: R; readonly emitted: readonly ShopEvent[]; readonly correlationId: string }> {
  const ids = deps.ids ?? randomIds;
  const correlationId = deps.correlationId ?? ids();
  const causationId = deps.commandId ?? ids();
  const emitted: ShopEvent[] = [];
  const result = await deps.store.transaction(async (tx) => {
    emitted.length = 0;
    const context = createHandlerContext({
      service: deps.service,
      tx,
      clock: deps.clock ?? systemClock,
      ids,
      bugs: deps.bugs ?? new Set(),
      causation: { correlationId, causationId },
      emitted,
    });
    const value = await fn(context, { correlationId });
    await flushEmitted(tx, emitted);
    return value;
  });
  return { result, emitted, correlationId };
}
