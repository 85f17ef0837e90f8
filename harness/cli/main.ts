import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json';
import { CliExit } from './cli-exit';
import { registerContractsCommand } from './commands/contracts';
import { registerFuzzCommand } from './commands/fuzz';
import { registerProxyCommand } from './commands/proxy';
import { registerInitCommand } from './commands/init';
import { registerRunCommand } from './commands/run';
import { registerScenariosCommand } from './commands/scenarios';
import { registerServiceCommand } from './commands/service';
import { registerTraceCommand } from './commands/trace';

/** The `troupe` command. Each subcommand lives in its own module under `commands/`. */
const program = new Command('troupe')
  .description(
    'Contract tests, delivery fuzzing and eventual-consistency assertions for choreographed services',
  )
  .version(packageJson.version)
  // `troupe --version` only before a subcommand: `contracts can-i-deploy --version <sha>` is the subcommand's.
  .enablePositionalOptions()
  .showHelpAfterError()
  // Usage errors must exit 2 (CI tells them from test failures), so commander reports instead of exiting.
  .exitOverride();

registerInitCommand(program);
registerRunCommand(program);
registerScenariosCommand(program);
registerFuzzCommand(program);
registerTraceCommand(program);
registerContractsCommand(program);
registerServiceCommand(program);
registerProxyCommand(program);
// Every (sub)command reports usage errors to the catch below instead of exiting with commander's code 1.
const overrideExits = (command: Command): void => {
  command.exitOverride();
  command.commands.forEach(overrideExits);
};
program.commands.forEach(overrideExits);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // --help and --version end with code 0; anything else commander refuses is a usage error.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
  if (error instanceof CliExit) {
    console.error(error.message);
    process.exitCode = error.exitCode;
    return;
  }
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
});
