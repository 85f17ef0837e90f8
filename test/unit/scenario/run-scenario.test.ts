import { assertScenario, ScenarioFailedError } from '../../../harness/scenario/assert-scenario';
import { parseScenario, type LoadedScenario } from '../../../harness/scenario/load-scenario';
import { renderJUnitReport } from '../../../harness/scenario/junit-report';
import { runScenario } from '../../../harness/scenario/run-scenario';
import type { ScenarioTargetFactory } from '../../../harness/scenario/scenario-target';
import { eventually } from '../../../harness/assert/eventually';
import { toyTarget, toyVocabulary } from './support/toy-target';

function scenario(text: string): LoadedScenario {
  const result = parseScenario(text, 'toy.scenario.yaml', { vocabulary: toyVocabulary });
  if (!result.ok) throw result.error;
  return result.scenario;
}

const base = `name: toy order
given:
  customers:
    ada: { tier: standard }
    bob: { tier: standard }
  gateway:
    declines: [{ customer: bob }]
when:
  - placeOrder: { as: order, customer: ada, items: [{ sku: BOOK-001, quantity: 1 }] }
then:
  orders:
    order: { chain: [OrderPlaced, PaymentCompleted], terminal: PaymentCompleted, status: paid, never: [PaymentFailed] }
  counts: { PaymentCompleted: 1 }
  settle: 50ms
within: 5s
`;

describe('runScenario on a toy choreography (in-memory transport)', () => {
  it('a target that finishes starting after the hard limit is still stopped', async () => {
    let release: (() => void) | undefined;
    const late = new Promise<void>((resolve) => (release = resolve));
    let stopped = false;
    const slowTarget: ScenarioTargetFactory = async (context) => {
      await late;
      const target = await toyTarget()(context);
      return {
        ...target,
        stop: async () => {
          stopped = true;
          await target.stop();
        },
      };
    };
    const quick = scenario(base.replace('within: 5s', 'within: 10ms'));
    const report = await runScenario(quick, { target: slowTarget, mode: 'sim', startupBudgetMs: 10 });
    expect(report.error?.code).toBe('scenario-timeout');
    release?.();
    await eventually(() => stopped, { within: 2_000, description: 'the late target to be stopped' });
  });

  it('passes when every expectation holds, with one terminal flow in the report', async () => {
    const report = await runScenario(scenario(base), { target: toyTarget(), mode: 'sim' });
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.flows).toEqual([
      expect.objectContaining({ name: 'order', terminals: ['PaymentCompleted'], status: 'paid' }),
    ]);
    expect(report.accounting?.valid).toBe(true);
  });

  it('fails with the timeline when the flow takes another path; assertScenario throws with the report as cause', async () => {
    const declined = scenario(base.replace('customer: ada', 'customer: bob'));
    const error = await assertScenario(declined, { target: toyTarget(), mode: 'sim' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ScenarioFailedError);
    const failed = error as ScenarioFailedError;
    expect(failed.code).toBe('scenario-failed');
    expect(failed.cause).toBe(failed.report);
    expect(failed.report.ok).toBe(false);
    expect(failed.message).toContain('✗ order: reaches PaymentCompleted');
    expect(failed.message).toContain('reached PaymentFailed instead');
    expect(failed.message).toContain('✗ order: status is paid');
    expect(failed.message).toMatch(/Timeline of order \(correlation [0-9a-f-]+, 2 deliveries\)/);
    expect(failed.message).toMatch(/OrderPlaced[\s\S]*PaymentFailed/);
    expect(renderJUnitReport([failed.report])).toContain('<failure message="order: reaches PaymentCompleted');
  });

  it('duplicate fault: a non-idempotent consumer is caught double charging; an idempotent one passes', async () => {
    const duplicated = scenario(
      base.replace('then:', 'faults:\n  - duplicate: { event: OrderPlaced, copies: 1 }\nthen:'),
    );
    const broken = await runScenario(duplicated, { target: toyTarget({ notIdempotent: true }), mode: 'sim' });
    expect(broken.ok).toBe(false);
    expect(broken.checks).toContainEqual(
      expect.objectContaining({
        name: 'count of PaymentCompleted is exactly 1',
        ok: false,
        detail: '2 observed',
      }),
    );
    expect(broken.faults[0]).toMatchObject({ kind: 'duplicate' });
    const fine = await runScenario(duplicated, { target: toyTarget(), mode: 'sim' });
    expect(fine.ok).toBe(true);
    // The tap saw OrderPlaced twice (same eventId): the observer never deduplicates.
    expect(fine.events.filter((event) => event.identity?.eventType === 'OrderPlaced')).toHaveLength(2);
  });

  it('redeliver fault: the consumer handles the event, loses its ack, and gets it again redelivered', async () => {
    const redelivered = scenario(
      base.replace('then:', 'faults:\n  - redeliver: { event: OrderPlaced, service: payments }\nthen:'),
    );
    const report = await runScenario(redelivered, { target: toyTarget(), mode: 'sim' });
    expect(report.ok).toBe(true);
    expect(report.faults).toEqual([
      expect.objectContaining({
        kind: 'redeliver',
        detail: 'payments crashed after handling OrderPlaced, before its ack',
      }),
    ]);
    const broken = await runScenario(redelivered, {
      target: toyTarget({ notIdempotent: true }),
      mode: 'sim',
    });
    expect(broken.ok).toBe(false);
  });

  it('abandons a run that hangs (a deadlocked target) with code scenario-timeout, and still stops the target', async () => {
    let stopped = false;
    const hanging = scenario(base.replace('within: 5s', 'within: 100ms'));
    const report = await runScenario(hanging, {
      startupBudgetMs: 100,
      target: async (context) => {
        const target = await toyTarget()(context);
        return {
          ...target,
          placeOrder: () => new Promise<void>(() => undefined),
          stop: async () => {
            stopped = true;
            await target.stop();
          },
        };
      },
    });
    expect(report.error).toEqual({
      code: 'scenario-timeout',
      message: 'scenario did not finish within 250 ms (start-up, within, settle)',
    });
    expect(stopped).toBe(true);
  });

  it('reports a target that cannot start as an error, not a crash', async () => {
    const report = await runScenario(scenario(base), {
      target: () =>
        Promise.reject(Object.assign(new Error('broker unreachable'), { code: 'connect-failed' })),
    });
    expect(report).toMatchObject({
      ok: false,
      error: { code: 'connect-failed', message: 'broker unreachable' },
    });
  });
});
