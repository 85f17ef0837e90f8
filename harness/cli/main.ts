import { Command } from 'commander';
import { registerContractsCommand } from './commands/contracts';
import { registerFuzzCommand } from './commands/fuzz';
import { registerRunCommand } from './commands/run';
import { registerScenariosCommand } from './commands/scenarios';
import { registerServiceCommand } from './commands/service';
import { registerTraceCommand } from './commands/trace';

/** The `troupe` command. Each subcommand lives in its own module under `commands/`. */
const program = new Command('troupe')
  .description(
    'Contract tests, delivery fuzzing and eventual-consistency assertions for choreographed services',
  )
  .showHelpAfterError();

registerRunCommand(program);
registerScenariosCommand(program);
registerFuzzCommand(program);
registerTraceCommand(program);
registerContractsCommand(program);
registerServiceCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
});
