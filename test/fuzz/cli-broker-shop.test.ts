import { registerFuzzCommand } from '../../harness/cli/commands/fuzz';
import { runTroupeCommand } from '../support/troupe-cli';

/** `troupe fuzz --mode broker` on the reference shop (no troupe.config.* in the cwd), on the real broker. */
describe('troupe fuzz --mode broker on the reference shop', () => {
  it('routes the services through the chaos proxy: first line, seeded plan, fault log, exit 0', async () => {
    const { code, out } = await runTroupeCommand(
      [registerFuzzCommand],
      ['fuzz', '--mode', 'broker', '--runs', '4', '--cuts', '1', '--seed', '7'],
    );
    const lines = out.split('\n');
    expect(lines[0]).toContain('services routed through the chaos proxy');
    expect(out).toContain('chaos (through the proxy, on real deliveries)');
    expect(out).toContain("applied faults (the proxy's fault log):");
    expect(out).toContain('1 connection cut(s)');
    expect(out).toMatch(/\((conn \d+)\)\s+cut\s+connection cut/);
    expect(out).toMatch(/— OK/);
    expect(code).toBe(0);
  }, 20_000);
});
