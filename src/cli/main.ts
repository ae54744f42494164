import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { registerCampaignCommands } from './commands/campaign.ts';
import { registerPlanCommand } from './commands/plan.ts';
import { registerScheduleCommands } from './commands/schedule.ts';
import { registerConsentCommands } from './commands/consent.ts';
import { registerDbCommands } from './commands/db.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerImportCommand } from './commands/import.ts';
import { registerImessageCommands } from './commands/imessage.ts';
import { registerSimulatorCommand } from './commands/simulator.ts';
import { registerRepliesCommand } from './commands/replies.ts';
import { registerInboxCommands } from './commands/inbox.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerRetryFailedCommand } from './commands/retry-failed.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerRulesCommand } from './commands/rules.ts';
import { registerWebhooksCommands } from './commands/webhooks.ts';
import { ExitCode } from './exit-codes.ts';
import { describeError } from './run-command.ts';

export function buildProgram(): Command {
  const program = new Command('bluecast')
    .description('Scheduled iMessage campaigns: CSV recipients, paced sends, delivery reports')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerDbCommands(program);
  registerServeCommand(program);
  registerDemoCommand(program);
  registerCampaignCommands(program);
  registerImportCommand(program);
  registerImessageCommands(program);
  registerSimulatorCommand(program);
  registerRepliesCommand(program);
  registerInboxCommands(program);
  registerConsentCommands(program);
  registerRunCommand(program);
  registerDoctorCommand(program);
  // After the `campaign` command (if any): retry-failed registers under it.
  registerRetryFailedCommand(program);
  registerPlanCommand(program);
  registerScheduleCommands(program);
  registerReportCommand(program);
  registerRulesCommand(program);
  registerWebhooksCommands(program);
  // Every subcommand inherits the strict parsing and exit override.
  const harden = (cmd: Command) => {
    cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
    cmd.commands.forEach(harden);
  };
  harden(program);
  return program;
}

/** Parse and run; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    // Commander has printed its own parse errors; an InvalidArgumentError that gets here was thrown by an action, unprinted.
    if (err instanceof CommanderError && !(err instanceof InvalidArgumentError)) {
      // help and version are "errors" to commander but successes to a user
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    const { code, message } = describeError(err);
    if (message) console.error(message);
    return code;
  }
}
