import { ChaosError } from '../../../harness/chaos/chaos-error';
import { parseChaosPlan } from '../../../harness/chaos/plan/chaos-fault';
import { parseSchedule } from '../../../harness/chaos/plan/parse-schedule';
import { planFromSchedule } from '../../../harness/chaos/plan/plan-from-schedule';
import type { Schedule } from '../../../harness/fuzz/schedule';

const mapping = {
  serviceOf: (queue: string) => (queue === 'payments' ? 'payments' : undefined),
  publisherOf: (exchange: string) => (exchange === 'shop' ? 'relay' : undefined),
};

describe('planFromSchedule: every kind of simulated fault', () => {
  it('converts cuts and confirm faults, skips what happens inside a handler, notes the interleaving', () => {
    const schedule: Schedule = {
      faults: [
        { kind: 'cut', consumer: 'payments', nth: 1 },
        { kind: 'confirm', consumer: 'shop', nth: 0, outcome: 'nack', by: 0 },
        { kind: 'confirm', consumer: 'shop', nth: 3, outcome: 'lose', by: 0 },
        { kind: 'confirm', consumer: 'shop', nth: 4, outcome: 'delay', by: 7 },
        { kind: 'confirm', consumer: 'other', nth: 0, outcome: 'nack', by: 0 },
        { kind: 'fail', consumer: 'payments', nth: 0, times: 2 },
      ],
      interleave: 5,
    };
    const { plan, skipped, notes } = planFromSchedule(schedule, mapping);
    expect(plan.faults).toEqual([
      {
        kind: 'cut',
        service: 'payments',
        how: 'reset',
        on: { on: 'deliver', match: { queue: 'payments' }, nth: 1 },
      },
      { kind: 'nack-confirm', service: 'relay', match: { exchange: 'shop' }, nth: 0 },
      {
        kind: 'cut',
        service: 'relay',
        how: 'reset',
        on: { on: 'publish', match: { exchange: 'shop' }, nth: 3 },
      },
      { kind: 'delay-confirm', service: 'relay', match: { exchange: 'shop' }, nth: 4, ms: 70 },
    ]);
    expect(() => parseChaosPlan(plan)).not.toThrow(); // what it makes is a valid plan
    expect(skipped.map(({ fault, why }) => [fault.kind, why])).toEqual([
      ['confirm', 'no publisher known for exchange other'],
      ['fail', 'a transient store error happens inside the transaction, not on the wire'],
    ]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^interleave 5: /);
  });

  it('queueOf names the live queue, or drops the queue match (ordinals per listener)', () => {
    const schedule: Schedule = { faults: [{ kind: 'redeliver', consumer: 'payments', nth: 2 }] };
    const live = planFromSchedule(schedule, { ...mapping, queueOf: (queue) => `ns.${queue}` });
    expect(live.plan.faults[0]).toMatchObject({ match: { queue: 'ns.payments' }, nth: 2 });
    const none = planFromSchedule(schedule, { ...mapping, queueOf: () => undefined });
    expect(none.plan.faults[0]).toEqual({ kind: 'lose-ack', service: 'payments', nth: 2, thenCut: 'reset' });
    const nack: Schedule = {
      faults: [{ kind: 'confirm', consumer: 'shop', nth: 1, outcome: 'nack', by: 0 }],
    };
    expect(planFromSchedule(nack, { ...mapping, exchangeOf: () => undefined }).plan.faults).toEqual([
      { kind: 'nack-confirm', service: 'relay', nth: 1 },
    ]);
  });
});

describe('parseSchedule', () => {
  const schedule = { faults: [{ kind: 'redeliver', consumer: 'payments', nth: 0 }], interleave: 1 };

  it('takes a schedule, a fuzz failure or a whole fuzz report', () => {
    expect(parseSchedule(schedule)).toEqual(schedule);
    expect(parseSchedule({ schedule, replay: '1:0' })).toEqual(schedule);
    expect(parseSchedule({ seed: 1, executed: 9, failure: { schedule, path: '0' } })).toEqual(schedule);
  });

  it('names the field that is wrong, under the path it came from', () => {
    const wrong = (input: unknown): string => {
      try {
        parseSchedule(input, '--schedule r.json');
      } catch (error) {
        expect(error).toBeInstanceOf(ChaosError);
        return (error as Error).message;
      }
      throw new Error('parsed');
    };
    expect(wrong({ faults: [{ kind: 'explode', consumer: 'payments', nth: 0 }] })).toMatch(
      /^--schedule r\.json: faults\.0\.kind: /,
    );
    expect(wrong({ failure: { schedule: { faults: [{ kind: 'cut', consumer: 'payments' }] } } })).toMatch(
      /^--schedule r\.json: failure\.schedule\.faults\.0\.nth: /,
    );
    expect(wrong({ seed: 3, executed: 800, runs: 200 })).toBe(
      '--schedule r.json: the fuzz report has no failure, so there is no counterexample to replay',
    );
  });
});
