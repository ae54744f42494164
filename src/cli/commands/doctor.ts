import type { Command } from 'commander';
import { CliExit } from '../run-command.ts';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the provider key, the campaign\'s lines, clock skew and that PUBLIC_URL reaches the webhook receiver')
    .option('--campaign <name>', 'check this campaign\'s lines and fast-track use')
    .action(async (flags: { campaign?: string }) => {
      // Loaded here: `--help` must not pay for zod, prisma and pg (src/cli/main.ts).
      const [{ loadConfig }, { createImessageClient }, { runDoctor }] = await Promise.all([
        import('../../config.ts'),
        import('../../provider/client.ts'),
        import('../../provider/doctor.ts'),
      ]);
      const config = loadConfig();
      let lines: string[] = [];
      let fastTrack = false;
      if (flags.campaign) {
        const [{ withApp }, { findCampaign }] = await Promise.all([import('../run-command.ts'), import('../../campaigns/definition.ts')]);
        await withApp(async (app) => {
          const c = await findCampaign(app.db.prisma, flags.campaign!);
          lines = [...new Set([...c.senderLines, ...(c.fallbackFrom ? [c.fallbackFrom] : [])])];
          fastTrack = c.fastTrack;
        }, { migrate: true });
      }
      const client = config.CONTIGUITY_API_KEY
        ? createImessageClient({ baseUrl: config.CONTIGUITY_BASE_URL, apiKey: config.CONTIGUITY_API_KEY, timeoutMs: config.REQUEST_TIMEOUT_MS })
        : undefined;
      try {
        const checks = await runDoctor({ client, baseUrl: config.CONTIGUITY_BASE_URL, apiKey: config.CONTIGUITY_API_KEY, lines, fastTrack, publicUrl: config.PUBLIC_URL });
        for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`);
        if (checks.some((c) => !c.ok)) throw new CliExit(1);
      } finally {
        client?.close();
      }
    });
}
