import type { Command } from 'commander';

/** Registers `troupe service`. Scaffolding: the owning feature replaces this body. */
export function registerServiceCommand(program: Command): void {
  program
    .command('service')
    .description('(not built yet)')
    .action(() => {
      throw new Error('troupe service is not built yet');
    });
}
