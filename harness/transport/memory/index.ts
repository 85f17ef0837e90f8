/** The in-memory transport's public surface: explicit list, for `harness/index.ts` to re-export. */
export { InMemoryTransport } from './in-memory-transport';
export type {
  ConfirmMode,
  ConfirmOutcome,
  DeliverOptions,
  DeliveryStep,
  DriveMode,
  InMemoryTransportOptions,
  InMemoryTransportStats,
  PendingConfirm,
  PendingMessage,
  TransportEvent,
} from './in-memory-transport';
export { InMemoryTransportError } from './in-memory-transport-error';
export type { InMemoryTransportErrorCode } from './in-memory-transport-error';
