import { fuzzHandler, HandlerFuzzError } from '../../harness/fuzz/fuzz-handler';

// A user's own consumer, not written with Troupe: a ledger applying deposits and withdrawals.
interface Movement {
  readonly eventId: string;
  readonly kind: 'deposit' | 'withdraw';
  readonly amount: number;
}

const events: Movement[] = [
  { eventId: 'e1', kind: 'deposit', amount: 10 },
  { eventId: 'e2', kind: 'withdraw', amount: 4 },
  { eventId: 'e3', kind: 'deposit', amount: 5 },
];

function ledger(options: { dedupe: boolean; allowOverdraft: boolean }) {
  let balance = 0;
  let lowest = 0;
  const seen = new Set<string>();
  return {
    handle(event: Movement) {
      if (options.dedupe && seen.has(event.eventId)) return;
      seen.add(event.eventId);
      if (event.kind === 'deposit') balance += event.amount;
      else if (options.allowOverdraft || balance >= event.amount) balance -= event.amount;
      lowest = Math.min(lowest, balance);
    },
    state: () => ({ balance, lowest }),
  };
}

const seed = 1234;

describe('fuzzHandler (Jest helper)', () => {
  it('passes an idempotent, order-safe handler', async () => {
    const result = await fuzzHandler({
      setup: () => ledger({ dedupe: true, allowOverdraft: false }),
      events,
      invariant: ({ lowest }) => lowest >= 0,
      seed,
    });
    expect(result.runs).toBe(100);
  });

  it('catches a handler that is not idempotent and prints the minimal schedule', async () => {
    const failure = await fuzzHandler({
      setup: () => ledger({ dedupe: false, allowOverdraft: false }),
      events,
      seed,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HandlerFuzzError);
    const message = (failure as HandlerFuzzError).message;
    console.log(message);
    expect(message).toMatch(/not idempotent/);
    expect(message).toMatch(/\(again\)/);
    expect(message).toContain(`seed: ${seed}, path: '`);
    // Shrunk: the three events once each, plus one copy.
    expect((failure as HandlerFuzzError).deliveries).toHaveLength(4);
  });

  it('catches an invariant broken only under reordering', async () => {
    const failure = await fuzzHandler({
      setup: () => ledger({ dedupe: true, allowOverdraft: true }),
      events,
      invariant: ({ lowest }) => (lowest >= 0 ? true : `balance went down to ${lowest}`),
      idempotent: false,
      seed,
      describe: (event) => `${event.kind} ${event.amount}`,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HandlerFuzzError);
    expect((failure as HandlerFuzzError).message).toMatch(/withdraw 4/);
    const { seed: replaySeed, path } = failure as HandlerFuzzError;
    // The replay reproduces it directly.
    await expect(
      fuzzHandler({
        setup: () => ledger({ dedupe: true, allowOverdraft: true }),
        events,
        invariant: ({ lowest }) => lowest >= 0,
        idempotent: false,
        seed: replaySeed,
        path,
      }),
    ).rejects.toBeInstanceOf(HandlerFuzzError);
  });

  it('awaits an async invariant: its rejection fails the schedule instead of going unhandled', async () => {
    const failure = await fuzzHandler({
      setup: () => ledger({ dedupe: true, allowOverdraft: true }),
      events,
      invariant: async ({ lowest }) => {
        await Promise.resolve();
        if (lowest < 0) throw new Error(`balance went down to ${lowest}`);
      },
      idempotent: false,
      seed,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HandlerFuzzError);
    expect((failure as HandlerFuzzError).message).toMatch(/invariant failed: balance went down to -\d+/);
  });
});
