import type { Command } from 'commander';

/** Registers `troupe scenarios`. Scaffolding: the owning feature replaces this body. */
export function registerScenariosCommand(program: Command): void {
  program
    .command('scenarios')
    .description('(not built yet)')
    .action(() => {
      throw new Error('troupe scenarios is not built yet');
    });
}
