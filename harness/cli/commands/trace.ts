import type { Command } from 'commander';

/** Registers `troupe trace`. Scaffolding: the owning feature replaces this body. */
export function registerTraceCommand(program: Command): void {
  program
    .command('trace')
    .description('(not built yet)')
    .action(() => {
      throw new Error('troupe trace is not built yet');
    });
}
