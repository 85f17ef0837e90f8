import { readFileSync } from 'node:fs';
import { registerFuzzCommand } from '../../harness/cli/commands/fuzz';
import { runTroupeCommand } from '../support/troupe-cli';

/** Runs `troupe fuzz …` in process; returns the exit code and what went to stdout. */
function troupeFuzz(...args: string[]): Promise<{ code: number; out: string }> {
  return runTroupeCommand([registerFuzzCommand], ['fuzz', ...args]);
}

describe('troupe fuzz (CLI)', () => {
  it('exits 0 with a summary when the services hold', async () => {
    const { code, out } = await troupeFuzz('--runs', '20', '--seed', '5', '--max-orders', '2');
    expect(code).toBe(0);
    expect(out).toMatch(/shop: 20 run\(s\), \d+ schedule\(s\) in .* schedules\/s\), 0 violations, seed 5/);
  });

  it('exits 1 with a replay command on a violation, and the replay reproduces it', async () => {
    const found = await troupeFuzz('--runs', '200', '--seed', '5', '--bug', 'ack-before-commit');
    expect(found.code).toBe(1);
    const replay = /--replay '([^']+)'/.exec(found.out)?.[1];
    expect(found.out).toContain('troupe fuzz --bug ack-before-commit --replay');
    if (!replay) throw new Error(`no replay command in:\n${found.out}`);
    const again = await troupeFuzz('--bug', 'ack-before-commit', '--replay', replay);
    expect(again.code).toBe(1);
    expect(again.out).toContain(found.out.split('Minimal schedule:')[1]?.split('Flows:')[0] ?? '(none)');
  });

  it('fuzzes a user module given with --target', async () => {
    const { code, out } = await troupeFuzz(
      '--target',
      'test/fuzz/fixtures/toy-target.ts',
      '--runs',
      '100',
      '--seed',
      '3',
    );
    expect(code).toBe(1);
    expect(out).toContain('toy-billing [billing-not-idempotent]');
    expect(out).toContain("troupe fuzz --target test/fuzz/fixtures/toy-target.ts --replay '3:");
  });

  it("the failure report in docs/fuzzing.md still replays (the README's example does not rot)", async () => {
    const doc = readFileSync('docs/fuzzing.md', 'utf8');
    const command = /npm run troupe -- fuzz --bug (\S+) --replay '([^']+)'/.exec(doc);
    if (!command?.[1] || !command[2]) throw new Error('no replay command found in docs/fuzzing.md');
    const { code, out } = await troupeFuzz('--bug', command[1], '--replay', command[2]);
    expect(code).toBe(1);
    // The captured minimal schedule and replay line are what the replay prints today.
    const minimal = /Minimal schedule:\n([\s\S]*?)\n\n/.exec(doc)?.[1];
    if (!minimal) throw new Error('no "Minimal schedule:" block in docs/fuzzing.md');
    expect(out).toContain(minimal);
    expect(doc).toContain(out.split('\n')[4] ?? '(missing)'); // the same replay line as in the captured report
  });

  it('exits 2 on usage errors, naming the problem', async () => {
    expect(await troupeFuzz('--bug', 'no-such-bug')).toMatchObject({
      code: 2,
      out: expect.stringMatching(/Unknown bug/) as unknown,
    });
    expect(await troupeFuzz('--replay', 'nope')).toMatchObject({ code: 2 });
    expect(await troupeFuzz('--runs', '0')).toMatchObject({
      code: 2,
      out: expect.stringMatching(/--runs/) as unknown,
    });
    expect(await troupeFuzz('--target', 'test/fuzz/fixtures/toy-billing.ts')).toMatchObject({
      code: 2,
      out: expect.stringMatching(/missing: name, workload/) as unknown,
    });
  });

  it('a broker-mode usage error leaves no signal listener behind', async () => {
    const listeners = (): number[] => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const before = listeners();
    expect(await troupeFuzz('--mode', 'broker', '--cuts', 'some')).toMatchObject({
      code: 2,
      out: expect.stringMatching(/--cuts must be an integer/) as unknown,
    });
    expect(listeners()).toEqual(before);
  });
});
