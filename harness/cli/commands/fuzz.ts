import type { Command } from 'commander';

/** Registers `troupe fuzz`. Scaffolding: the owning feature replaces this body. */
export function registerFuzzCommand(program: Command): void {
  program
    .command('fuzz')
    .description('(not built yet)')
    .action(() => {
      throw new Error('troupe fuzz is not built yet');
    });
}
