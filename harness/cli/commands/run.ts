import type { Command } from 'commander';

/** Registers `troupe run`. Scaffolding: the owning feature replaces this body. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('(not built yet)')
    .action(() => {
      throw new Error('troupe run is not built yet');
    });
}
