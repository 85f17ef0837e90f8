import type { StartedTarget, TargetService } from '../../target/target';
import type { FaultInjector } from '../fault-injector';
import type { ScenarioFault } from '../scenario-schema';
import type { ScenarioChaos } from '../scenario-chaos';

type LifecycleFault = Extract<ScenarioFault, { kind: 'cut' | 'kill' | 'restart' | 'pause' }>;

/** How long a triggered fault waits for the triggering message to reach its consumers. */
const inFlightGraceMs = 20;

/**
 * The faults on services — `cut`, `kill`, `restart`, `pause` — each fired once: when its `after` event is first
 * seen (a service's publish in process, else the tap), or as `when` starts. In process, consumers hold their
 * deliveries while a cut is applied, so it lands mid-flow with messages unacked.
 */
export class LifecycleFaults {
  private readonly pending: { readonly fault: LifecycleFault; fired: boolean }[];
  private readonly firing: Promise<void>[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    faults: readonly ScenarioFault[],
    private readonly started: StartedTarget,
    private readonly injector: FaultInjector,
    /** The chaos proxy, when the target's services go through it (pauses are then its own). */
    private readonly chaos: ScenarioChaos | undefined,
  ) {
    this.pending = faults
      .filter((fault): fault is LifecycleFault => ['cut', 'kill', 'restart', 'pause'].includes(fault.kind))
      .map((fault) => ({ fault, fired: false }));
  }

  /** The lifecycle faults of the spec and whether each fired, for the "was applied" checks. */
  faults(): readonly { readonly fault: LifecycleFault; readonly fired: boolean }[] {
    return this.pending.map((entry) => ({ fault: entry.fault, fired: entry.fired }));
  }

  /** An event of `type` was published or observed: fire the faults waiting for it. */
  observe(type: string): void {
    this.fire((fault) => fault.after === type);
  }

  /** `when` starts: apply the faults without `after` before its first step runs. */
  async begin(): Promise<void> {
    this.fire((fault) => fault.after === undefined);
    await Promise.all(this.firing);
  }

  /** Resolves when every fired fault has been applied; rejects with the first failure. */
  async settled(): Promise<void> {
    await Promise.all(this.firing);
  }

  /** No more restarts after the run (a `kill` with `restartAfter` still pending). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
  }

  private fire(due: (fault: LifecycleFault) => boolean): void {
    const now = this.pending.filter((entry) => !entry.fired && due(entry.fault));
    if (now.length === 0) return;
    for (const entry of now) entry.fired = true;
    const applying = (async () => {
      // Let the broker hand the triggering message to its consumers first (in process they wait at the gate), so
      // the fault finds it in flight — unacked — as a real mid-flow cut or crash would.
      if (now.some((entry) => entry.fault.after !== undefined)) {
        await new Promise((resolve) => setTimeout(resolve, inFlightGraceMs));
      }
      for (const entry of now) await this.apply(entry.fault);
    })();
    this.firing.push(applying);
    // `settled()` reports a failure later; until then a rejection must not count as unhandled.
    applying.catch(() => undefined);
    // A cut or a pause must find the triggering message still in flight: consumers wait until it is applied.
    if (now.some((entry) => entry.fault.kind === 'cut' || entry.fault.kind === 'pause')) {
      this.injector.hold(applying);
    }
  }

  private async apply(fault: LifecycleFault): Promise<void> {
    const after = fault.after === undefined ? 'as when started' : `after ${fault.after}`;
    switch (fault.kind) {
      case 'cut': {
        const services =
          fault.service === undefined ? this.managedServices() : [this.started.service(fault.service)];
        const details: string[] = [];
        for (const service of services) details.push(await service.cut());
        this.injector.note('cut', `${after}: ${details.join('; ') || 'no service to cut'}`);
        return;
      }
      case 'kill': {
        const service = this.started.service(fault.service);
        const exit = await service.kill();
        this.injector.note(
          'kill',
          `${after}: ${fault.service} killed (${exit?.signal ?? exit?.code ?? 'gone'})` +
            (fault.restartAfter === undefined ? '' : `, restarting in ${fault.restartAfter} ms`),
        );
        if (fault.restartAfter !== undefined) {
          const delay = fault.restartAfter;
          // In the background: the kill is applied now, the service comes back later.
          const restarting = (async () => {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                this.timers.delete(timer);
                resolve();
              }, delay);
              this.timers.add(timer);
            });
            if (this.stopped) return;
            await service.start();
            this.injector.note('kill', `${fault.service} started again`);
          })();
          restarting.catch(() => undefined);
          this.firing.push(restarting);
        }
        return;
      }
      case 'restart':
        await this.started.service(fault.service).restart();
        this.injector.note('restart', `${after}: ${fault.service} stopped and started again`);
        return;
      case 'pause':
        if (this.chaos) {
          await this.chaos.apply([{ kind: 'pause', service: fault.service, ms: fault.for }]);
        } else if (this.injector.appliesMessageFaults) {
          this.injector.pause(fault.service, fault.for);
        } else {
          throw new Error(
            `pause ${fault.service}: this target's deliveries can be held only through the chaos proxy`,
          );
        }
        this.injector.note('pause', `${after}: ${fault.service}'s consumers paused for ${fault.for} ms`);
        return;
    }
  }

  private managedServices(): TargetService[] {
    return this.started.services.filter((service) => !service.external);
  }
}
