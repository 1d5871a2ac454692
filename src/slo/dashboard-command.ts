import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { CommandContext } from '../common/command.js';
import {
  assertDashboardsCurrent, committedDashboardsDir, renderDashboardFiles,
} from './dashboard-files.js';
import { showPath, type GenerateHookOptions } from './generate-hook.js';
import { defaultRunbookBaseUrl } from './scale.js';
import {
  committedSpecsDir, loadSpecsDir, writeGeneratedFiles, type GeneratedFile,
} from './slo-generate.js';

/**
 * Makes `srekit slo generate` also write the Grafana dashboards into
 * `outputDir`, and `--check` compare them, with the production profile and
 * the default output. Call it after the `generate` command and its `--specs`
 * option exist.
 */
export function registerDashboardOutput(
  slo: Command,
  context: CommandContext,
  outputDir = committedDashboardsDir,
): void {
  const generate = slo.commands.find((command) => command.name() === 'generate');
  if (generate === undefined) return;
  let pending: GeneratedFile[] = [];
  const directory = showPath(outputDir);
  generate
    .addHelpText('after', `
It also writes the Grafana dashboards to ${directory}/, from
src/slo/dashboard-*.ts and the SLO specs, and --check compares them.`)
    .hook('preAction', async (command) => {
      pending = [];
      const options = command.opts<GenerateHookOptions>();
      const production = (options.profile ?? 'production') === 'production';
      if (!production || options.output !== undefined) return;
      // Rendering everything before the action runs means an error writes no file at all.
      const definitions = await loadSpecsDir(resolve(options.specs ?? committedSpecsDir));
      // The rules' default runbook base is a repository path, which Grafana
      // cannot open, so the dashboards keep their own default unless one is given.
      const runbookBaseUrl = options.runbookBaseUrl === defaultRunbookBaseUrl
        ? undefined : options.runbookBaseUrl;
      const files = renderDashboardFiles(definitions, outputDir, { runbookBaseUrl });
      if (options.check) {
        await assertDashboardsCurrent(files, showPath);
        context.io.stderr.write(`the dashboards in ${directory} are up to date\n`);
        return;
      }
      pending = files;
    })
    .hook('postAction', async () => {
      if (pending.length === 0) return;
      await writeGeneratedFiles(pending);
      context.io.stderr.write(`wrote ${pending.length} dashboards to ${directory}\n`);
      pending = [];
    });
}
