import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { CommandContext } from '../common/command.js';
import { writeFileAtomic } from '../common/files.js';
import { showPath, type GenerateHookOptions } from './generate-hook.js';
import { policyAlertLabels } from './inhibition-labels.js';
import { productionProfile } from './profiles.js';
import {
  assertAlertmanagerFileCurrent, committedAlertmanagerPath, renderCheckedAlertmanagerFile,
} from './routing-file.js';
import { committedSpecsDir, loadSpecsDir } from './slo-generate.js';

/**
 * Makes `srekit slo generate` also write monitoring/alertmanager/alertmanager.yml,
 * and `--check` compare it, with the production profile and the default
 * output. The inhibit rules are checked against the alerts of the policy and
 * of the SLO specs before any file is written. Call it after
 * `registerSpecCommands`, which adds --specs.
 */
export function registerRoutingOutput(slo: Command, context: CommandContext): void {
  const generate = slo.commands.find((command) => command.name() === 'generate');
  if (!generate) return;
  let pending: string | undefined;
  generate
    .addHelpText('after', `
It also writes monitoring/alertmanager/alertmanager.yml from the routing tree
and inhibit rules in src/slo/routing.ts and src/slo/inhibitions.ts, and
--check compares it. An inhibit rule that compares a label which one of the
alerts it selects does not carry stops it before any file is written, with
exit status 2.`)
    .hook('preAction', async (command) => {
      pending = undefined;
      const options = command.opts<GenerateHookOptions>();
      if ((options.profile ?? 'production') !== 'production' || options.output !== undefined) return;
      const shown = showPath(committedAlertmanagerPath);
      const definitions = await loadSpecsDir(resolve(options.specs ?? committedSpecsDir));
      const text = renderCheckedAlertmanagerFile(
        productionProfile, policyAlertLabels(definitions), shown);
      if (options.check) {
        await assertAlertmanagerFileCurrent(committedAlertmanagerPath, text, shown);
        context.io.stderr.write(`${shown} is up to date\n`);
        return;
      }
      pending = text;
    })
    .hook('postAction', async () => {
      if (pending === undefined) return;
      await writeFileAtomic(committedAlertmanagerPath, pending);
      context.io.stderr.write(`wrote ${showPath(committedAlertmanagerPath)}\n`);
      pending = undefined;
    });
}
