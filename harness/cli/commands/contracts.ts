import type { Command } from 'commander';

/** Registers `troupe contracts`. Scaffolding: the owning feature replaces this body. */
export function registerContractsCommand(program: Command): void {
  program
    .command('contracts')
    .description('(not built yet)')
    .action(() => {
      throw new Error('troupe contracts is not built yet');
    });
}
