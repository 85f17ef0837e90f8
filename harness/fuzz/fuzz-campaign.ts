import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fuzzSimulation, type FuzzFailure, type FuzzProgress, type FuzzReport } from './fuzz-simulation';
import { importUserModule } from '../_internals/import-user-module';
import type { SimTarget } from './sim-target';

/**
 * Where a worker thread finds the target: a module and its export — a `SimTarget`, or a function that makes one
 * from `args` (plain data: it crosses the thread boundary).
 */
export interface CampaignTargetSpec {
  /** Absolute path of the module (`.ts` modules are loaded through tsx). */
  readonly module: string;
  /** The export to use (default `target`, then `default`). */
  readonly exportName?: string;
  /** Arguments when the export is a factory function. */
  readonly args?: unknown;
}

/** Options of a campaign. */
export interface FuzzCampaignOptions {
  /** fast-check runs in total (default 200). */
  readonly runs?: number;
  /** The campaign's seed; every chunk's seed derives from it. */
  readonly seed?: number;
  /** Worker threads (default: every core). 1 runs in this thread. */
  readonly workers?: number;
  /** Run only shard `index` (1-based) of `count`: chunks index-1, index-1+count, … */
  readonly shard?: { readonly index: number; readonly count: number };
  readonly schedulesPerWorkload?: number;
  readonly maxSteps?: number;
  /** Runs per chunk, the unit of work handed to a worker (default 20). Part of what the seed means. */
  readonly chunkRuns?: number;
  readonly onProgress?: (progress: FuzzProgress) => void;
  readonly replayCommand?: (token: string) => string;
  /** With one worker: load the target this way instead of from `spec` (e.g. a bundled target with no file). */
  readonly inThread?: () => Promise<SimTarget<unknown>>;
}

/** A campaign's merged report: a `FuzzReport` plus how it was split. */
export interface FuzzCampaignReport<W = unknown> extends FuzzReport<W> {
  readonly workers: number;
  /** Chunks this process was responsible for, and how many it ran before stopping at the first failure. */
  readonly chunks: { readonly planned: number; readonly ran: number };
  readonly shard?: { readonly index: number; readonly count: number };
}

interface ChunkResult {
  readonly executed: number;
  readonly schedulesToFailure: number;
  readonly msToFailure?: number;
  readonly runs: number;
  readonly failure?: FuzzFailure;
  readonly target: string;
}

/** The seed of chunk `index`: the campaign seed for chunk 0 (a small campaign is one plain session). */
export function chunkSeed(seed: number, index: number): number {
  if (index === 0) return seed;
  let h = (seed ^ Math.imul(index, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) | 0;
}

/**
 * One fuzzing campaign over worker threads. The runs are cut into fixed chunks, each a fast-check session with a
 * seed derived from the campaign seed, so what a campaign explores depends on its seed and size only — never on
 * the number of workers or their timing. Chunks are handed out in order; a failing chunk is shrunk in the worker
 * that found it (fast-check shrinks inside the session), later chunks are stopped, earlier ones finish, and the
 * report is the lowest failing chunk's: the same seed gives the same report with 1 or 16 workers. `shard` runs
 * every `count`th chunk, for splitting a campaign across CI machines.
 */
export async function fuzzCampaign(
  spec: CampaignTargetSpec,
  options: FuzzCampaignOptions = {},
): Promise<FuzzCampaignReport> {
  const runs = options.runs ?? 200;
  const seed = options.seed ?? (Date.now() ^ (process.pid << 16)) | 0;
  const chunkRuns = Math.max(1, options.chunkRuns ?? 20);
  const shard = options.shard;
  const all = Math.ceil(runs / chunkRuns);
  const mine = Array.from({ length: all }, (_, i) => i).filter(
    (i) => !shard || i % shard.count === shard.index - 1,
  );
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), mine.length || 1));
  const results = new Map<number, ChunkResult>();
  let lowestFailure = Number.POSITIVE_INFINITY;
  let schedules = 0;
  let runsStarted = 0;
  const plannedRuns = mine.reduce((sum, i) => sum + Math.min(chunkRuns, runs - i * chunkRuns), 0);
  const progress = (delta: number, shrinking: boolean): void => {
    schedules += delta;
    options.onProgress?.({
      runs: Math.min(runsStarted, plannedRuns),
      planned: plannedRuns,
      schedules,
      shrinking,
    });
  };
  const started = performance.now();
  const chunkOptions = (index: number) => ({
    seed: chunkSeed(seed, index),
    runs: Math.min(chunkRuns, runs - index * chunkRuns),
    ...(options.schedulesPerWorkload !== undefined
      ? { schedulesPerWorkload: options.schedulesPerWorkload }
      : {}),
    ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
  });
  let next = 0;
  if (workers === 1) {
    const target = await (options.inThread ?? (() => loadCampaignTarget(spec)))();
    while (next < mine.length) {
      const index = mine[next++] as number;
      const chunk = chunkOptions(index);
      runsStarted += chunk.runs;
      let seen = 0;
      const report = await fuzzSimulation(target, {
        ...chunk,
        onProgress: (p) => {
          progress(p.schedules - seen, p.shrinking);
          seen = p.schedules;
        },
      });
      results.set(index, toChunkResult(report));
      if (report.failure) {
        lowestFailure = index;
        break;
      }
    }
  } else {
    await new Promise<void>((resolve, reject) => {
      const pool: { worker: Worker; chunk: number | undefined; stopped: boolean }[] = [];
      let live = 0;
      const finishIfDone = (): void => {
        if (
          pool.every((slot) => slot.chunk === undefined) &&
          (next >= mine.length || lowestFailure < Infinity)
        ) {
          for (const slot of pool) {
            slot.stopped = true;
            void slot.worker.terminate();
          }
          resolve();
        }
      };
      const assign = (slot: { worker: Worker; chunk: number | undefined; stopped: boolean }): void => {
        if (slot.stopped) return;
        // Nothing after the lowest failing chunk can change the report.
        if (next >= mine.length || (mine[next] as number) > lowestFailure) {
          slot.chunk = undefined;
          return finishIfDone();
        }
        const index = mine[next++] as number;
        slot.chunk = index;
        const chunk = chunkOptions(index);
        runsStarted += chunk.runs;
        slot.worker.postMessage({ kind: 'chunk', index, options: chunk });
      };
      for (let w = 0; w < workers; w++) {
        const worker = startWorker(spec);
        const slot = { worker, chunk: undefined as number | undefined, stopped: false };
        pool.push(slot);
        live++;
        worker.on('message', (message: WorkerMessage) => {
          if (slot.stopped) return;
          if (message.kind === 'ready') return assign(slot);
          if (message.kind === 'progress') return progress(message.delta, message.shrinking);
          if (message.kind === 'error') {
            for (const other of pool) void other.worker.terminate();
            return reject(new Error(`fuzz worker failed: ${message.message}`));
          }
          results.set(message.index, message.result);
          if (message.result.failure && message.index < lowestFailure) {
            lowestFailure = message.index;
            // Later chunks cannot be the report: stop them now.
            for (const other of pool) {
              if (other !== slot && other.chunk !== undefined && other.chunk > lowestFailure) {
                results.delete(other.chunk);
                other.chunk = undefined;
                other.stopped = true;
                void other.worker.terminate();
              }
            }
          }
          assign(slot);
        });
        worker.on('error', (error) => {
          for (const other of pool) void other.worker.terminate();
          reject(error);
        });
        worker.on('exit', () => {
          live--;
          if (live === 0) finishIfDone();
        });
      }
    });
  }
  const elapsedMs = performance.now() - started;
  const counted = [...results.entries()]
    .filter(([index]) => index <= lowestFailure)
    .sort(([a], [b]) => a - b);
  const executed = counted.reduce((sum, [, r]) => sum + r.executed, 0);
  const failed = counted.find(([, r]) => r.failure);
  const beforeFailure = counted.filter(([index]) => !failed || index < failed[0]);
  const targetName =
    counted[0]?.[1].target ?? (await (options.inThread ?? (() => loadCampaignTarget(spec)))()).name;
  const failure = failed?.[1].failure;
  return {
    target: targetName,
    seed,
    executed,
    schedulesToFailure:
      beforeFailure.reduce((sum, [, r]) => sum + r.executed, 0) + (failed ? failed[1].schedulesToFailure : 0),
    ...(failed?.[1].msToFailure !== undefined ? { msToFailure: failed[1].msToFailure } : {}),
    runs: beforeFailure.reduce((sum, [, r]) => sum + r.runs, 0) + (failed ? failed[1].runs : 0),
    elapsedMs,
    schedulesPerSecond: executed / Math.max(elapsedMs / 1000, 1e-9),
    workers,
    chunks: { planned: mine.length, ran: counted.length },
    ...(shard ? { shard } : {}),
    ...(failure
      ? {
          failure: {
            ...failure,
            replayCommand: (options.replayCommand ?? ((token) => `troupe fuzz --replay '${token}'`))(
              failure.replay,
            ),
          },
        }
      : {}),
  };
}

/** Loads the target a spec names (also what each worker does). */
export async function loadCampaignTarget(spec: CampaignTargetSpec): Promise<SimTarget<unknown>> {
  const module = await importTargetModule(spec.module);
  const exported = spec.exportName ? module[spec.exportName] : (module['target'] ?? module['default']);
  const target: unknown =
    typeof exported === 'function' ? (exported as (args: unknown) => unknown)(spec.args) : exported;
  if (typeof target !== 'object' || target === null || !('start' in target) || !('workload' in target)) {
    throw Object.assign(
      new Error(`fuzz campaign: ${spec.module} export ${spec.exportName ?? 'target'} is not a SimTarget`),
      { code: 'invalid-target' },
    );
  }
  return target as SimTarget<unknown>;
}

/**
 * `require` first: it works wherever TypeScript loads through a CommonJS hook (tsx, Jest, and a worker thread,
 * which has only tsx's CommonJS hook); an ES module falls back to the user-module importer.
 */
async function importTargetModule(file: string): Promise<Record<string, unknown>> {
  // Built (dist/, npx troupe), this thread has no TypeScript hook: tsx's API loads the module.
  if (!/\.ts$/.test(__filename)) return importUserModule(file);
  try {
    return createRequire(__filename)(file) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
    return importUserModule(file);
  }
}

type WorkerMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'progress'; readonly delta: number; readonly shrinking: boolean }
  | { readonly kind: 'done'; readonly index: number; readonly result: ChunkResult }
  | { readonly kind: 'error'; readonly message: string };

function toChunkResult(report: FuzzReport): ChunkResult {
  return {
    executed: report.executed,
    schedulesToFailure: report.schedulesToFailure,
    ...(report.msToFailure !== undefined ? { msToFailure: report.msToFailure } : {}),
    runs: report.runs,
    target: report.target,
    ...(report.failure ? { failure: report.failure } : {}),
  };
}

/** The worker's program: load the target once, then run the chunks it is sent. */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.tsx) require(workerData.tsx).register();
const load = workerData.self.endsWith('.mjs')
  ? import(require('node:url').pathToFileURL(workerData.self).href)
  : Promise.resolve(require(workerData.self));
load.then(({ runCampaignWorker }) => runCampaignWorker(parentPort, workerData.spec));
`;

function startWorker(spec: CampaignTargetSpec): Worker {
  const self = __filename;
  const needsTsx = /\.[cm]?tsx?$/.test(self) || /\.[cm]?tsx?$/.test(spec.module);
  return new Worker(workerSource, {
    eval: true,
    workerData: {
      self,
      spec,
      ...(needsTsx ? { tsx: require.resolve('tsx/cjs/api') } : {}),
    },
  });
}

/** Inside a worker thread: runs chunks until terminated. Exported for the worker's bootstrap only. */
export async function runCampaignWorker(
  port: {
    postMessage(message: WorkerMessage): void;
    on(event: 'message', listener: (m: unknown) => void): void;
  },
  spec: CampaignTargetSpec,
): Promise<void> {
  try {
    const target = await loadCampaignTarget(spec);
    port.on('message', (raw) => {
      const message = raw as { kind: 'chunk'; index: number; options: Parameters<typeof fuzzSimulation>[1] };
      let seen = 0;
      void fuzzSimulation(target, {
        ...message.options,
        onProgress: (p) => {
          if (p.schedules - seen >= 16 || p.shrinking) {
            port.postMessage({ kind: 'progress', delta: p.schedules - seen, shrinking: p.shrinking });
            seen = p.schedules;
          }
        },
      }).then(
        (report) => {
          if (report.executed > seen)
            port.postMessage({ kind: 'progress', delta: report.executed - seen, shrinking: false });
          port.postMessage({ kind: 'done', index: message.index, result: toChunkResult(report) });
        },
        (error: unknown) =>
          port.postMessage({
            kind: 'error',
            message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
    });
    port.postMessage({ kind: 'ready' });
  } catch (error) {
    port.postMessage({
      kind: 'error',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
}
