import type { NewOutboxRecord, OutboxRecord } from '../store';

/**
 * The outbox of the in-memory store models (MemoryStore, SimulatedStore): rows in commit order with ids from 1,
 * and the rows relays have claimed but not settled yet. Claiming follows PostgresStore's `FOR UPDATE SKIP LOCKED`
 * with per-aggregate order: a row another relay holds is skipped, and so is every later row of its aggregate.
 */
export class OutboxRows {
  private readonly rows: OutboxRecord[];
  /** Index of the first row that may still be unpublished (rows before it all are published). */
  private firstUnpublished = 0;
  private readonly claimed = new Set<number>();

  /** Empty, or holding `rows` (ids 1…n, as `view()` returned them). */
  constructor(rows: readonly OutboxRecord[] = []) {
    this.rows = rows.slice();
    while (this.rows[this.firstUnpublished]?.publishedAt != null) this.firstUnpublished++;
  }

  /** Appends committed records; they get the next ids. */
  append(records: readonly NewOutboxRecord[]): void {
    // Field by field, not spread: one row shape, and the simulator appends a few per step.
    for (const record of records) {
      this.rows.push({
        aggregateId: record.aggregateId,
        eventId: record.eventId,
        eventType: record.eventType,
        routingKey: record.routingKey,
        correlationId: record.correlationId,
        body: record.body,
        id: this.rows.length + 1,
        publishedAt: null,
      });
    }
  }

  /** Claims up to `limit` unpublished rows for one relay; give them back with `release`. */
  claim(limit: number): OutboxRecord[] {
    const batch: OutboxRecord[] = [];
    // Made only when another relay holds a row: most claims find the outbox empty or unclaimed.
    let blocked: Set<string> | undefined;
    for (let i = this.firstUnpublished; i < this.rows.length && batch.length < limit; i++) {
      const row = this.rows[i];
      if (!row || row.publishedAt !== null) continue;
      if (blocked?.has(row.aggregateId)) continue;
      if (this.claimed.has(row.id)) {
        // Another relay holds an earlier row of this aggregate: later rows must wait for it.
        (blocked ??= new Set()).add(row.aggregateId);
        continue;
      }
      batch.push(row);
    }
    for (const row of batch) this.claimed.add(row.id);
    return batch;
  }

  /** Marks the confirmed rows published at `publishedAt`; returns how many were not published before. */
  markPublished(ids: readonly number[], publishedAt: string): number {
    let marked = 0;
    for (const id of ids) {
      const row = this.rows[id - 1];
      if (row && row.publishedAt === null) {
        // A new row, not a change: copied stores share their rows.
        this.rows[id - 1] = {
          aggregateId: row.aggregateId,
          eventId: row.eventId,
          eventType: row.eventType,
          routingKey: row.routingKey,
          correlationId: row.correlationId,
          body: row.body,
          id: row.id,
          publishedAt,
        };
        marked++;
      }
    }
    while (this.rows[this.firstUnpublished]?.publishedAt != null) this.firstUnpublished++;
    return marked;
  }

  /** Ends a relay's claim on `batch`, published or not. */
  release(batch: readonly OutboxRecord[]): void {
    for (const row of batch) this.claimed.delete(row.id);
  }

  /** Rows a relay holds right now. */
  claimedCount(): number {
    return this.claimed.size;
  }

  /** Rows not yet marked published. */
  unpublishedCount(): number {
    let count = 0;
    for (let i = this.firstUnpublished; i < this.rows.length; i++)
      if (this.rows[i]?.publishedAt === null) count++;
    return count;
  }

  /** The rows themselves, without a copy (read-only by contract). */
  view(): readonly OutboxRecord[] {
    return this.rows;
  }
}
