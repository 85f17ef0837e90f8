import path from 'node:path';
import { chunkSeed, fuzzCampaign } from '../../harness/fuzz/fuzz-campaign';

// The toy choreography with its planted bug: a small target whose module a worker thread can load.
const spec = { module: path.resolve('test/fuzz/fixtures/toy-target.ts') };

describe('fuzzCampaign: one campaign over worker threads', () => {
  it('gives the same report with one worker and with two (deterministic per seed), shrunk in the worker', async () => {
    const one = await fuzzCampaign(spec, { runs: 120, seed: 31, workers: 1, chunkRuns: 10 });
    const two = await fuzzCampaign(spec, { runs: 120, seed: 31, workers: 2, chunkRuns: 10 });
    expect(one.failure).toBeDefined();
    expect(two.workers).toBe(2);
    expect(two.failure?.replay).toBe(one.failure?.replay);
    expect(two.failure?.schedule).toEqual(one.failure?.schedule);
    expect(two.failure?.shrinks).toBe(one.failure?.shrinks);
    expect(two.executed).toBe(one.executed);
    // The replay token names the failing chunk's own seed: `--replay` needs no campaign.
    const chunk = Number(one.failure?.replay.split(':')[0]);
    expect(Array.from({ length: 12 }, (_, i) => chunkSeed(31, i))).toContain(chunk);
  }, 120_000);

  it('--shard k/n splits the chunks without overlap and covers them all', async () => {
    const whole = await fuzzCampaign(spec, {
      runs: 40,
      seed: 4,
      workers: 1,
      chunkRuns: 10,
      schedulesPerWorkload: 1,
    });
    const shards = await Promise.all(
      [1, 2, 3].map((index) =>
        fuzzCampaign(spec, {
          runs: 40,
          seed: 4,
          workers: 1,
          chunkRuns: 10,
          schedulesPerWorkload: 1,
          shard: { index, count: 3 },
        }),
      ),
    );
    expect(shards.map((s) => s.chunks.planned)).toEqual([2, 1, 1]);
    expect(whole.chunks.planned).toBe(4);
    // Chunk 0 (seed 4 itself) belongs to shard 1: its failure is the whole campaign's when chunk 0 fails.
    if (whole.failure && whole.failure.replay.startsWith('4:')) {
      expect(shards[0]?.failure?.replay).toBe(whole.failure.replay);
    }
  });
});
