import { Command } from 'commander';
import { registerFuzzCommand } from '../../harness/cli/commands/fuzz';

/** `troupe fuzz --mode broker` on the reference shop (no troupe.config.* in the cwd), on the real broker. */
describe('troupe fuzz --mode broker on the reference shop', () => {
  it('routes the services through the chaos proxy: first line, seeded plan, fault log, exit 0', async () => {
    const program = new Command('troupe').exitOverride();
    registerFuzzCommand(program);
    for (const command of program.commands) command.exitOverride();
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
      lines.push(parts.map(String).join(' '));
    });
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const previous = process.exitCode;
    let code: number;
    try {
      await program.parseAsync(['fuzz', '--mode', 'broker', '--runs', '4', '--cuts', '1', '--seed', '7'], {
        from: 'user',
      });
      code = Number(process.exitCode ?? 0);
    } finally {
      process.exitCode = previous;
      log.mockRestore();
      err.mockRestore();
    }
    const out = lines.join('\n');
    expect(lines[0]).toContain('services routed through the chaos proxy');
    expect(out).toContain('chaos (through the proxy, on real deliveries)');
    expect(out).toContain("applied faults (the proxy's fault log):");
    expect(out).toContain('1 connection cut(s)');
    expect(out).toMatch(/\((conn \d+)\)\s+cut\s+connection cut/);
    expect(out).toMatch(/— OK/);
    expect(code).toBe(0);
  }, 20_000);
});
