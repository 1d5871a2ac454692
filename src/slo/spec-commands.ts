import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { CommandContext } from '../common/command.js';
import { writeJsonLine } from '../common/io.js';
import { burnFactor, errorRatioThreshold } from './burn-rate.js';
import { formatDuration } from './duration.js';
import { showPath, type GenerateHookOptions } from './generate-hook.js';
import {
  assertGeneratedFilesCurrent, committedSloRulesPath, committedSloTestsPath, committedSpecsDir,
  loadSpecsDir, renderSloFiles, writeGeneratedFiles, type GeneratedFile,
} from './slo-generate.js';
import { loadSpecs } from './spec-files.js';
import type { SloDefinition } from './spec.js';

interface ValidateOptions {
  specs: string;
  json?: boolean;
}

/**
 * Adds `srekit slo validate`, and makes `srekit slo generate` validate the
 * SLO specs before it writes anything and then write their rules and tests.
 * Call it after the `generate` command exists.
 */
export function registerSpecCommands(slo: Command, context: CommandContext): void {
  registerValidate(slo, context);
  const generate = slo.commands.find((command) => command.name() === 'generate');
  if (generate) extendGenerate(generate, context);
}

function registerValidate(slo: Command, context: CommandContext): void {
  slo.command('validate')
    .description('check SLO specs (srekit, Sloth prometheus/v1 or OpenSLO v1) and list their SLOs')
    .argument('[files...]', 'spec files to check (default: every *.yaml in --specs)')
    .option('--specs <dir>', 'directory of SLO specs', showPath(committedSpecsDir))
    .option('--json', 'print one JSON object per SLO, tagged "slo"')
    .addHelpText('after', `
Examples:
  srekit slo validate
  srekit slo validate test/fixtures/slo/sloth.yaml

Exit status:
  0   every spec is valid
  2   a spec is invalid: each problem is listed as FILE: PATH: PROBLEM;
      or a file cannot be read, or the specs define no SLO`)
    .action(async (files: string[], options: ValidateOptions) => {
      const definitions = files.length > 0
        ? await loadSpecs(files)
        : await loadSpecsDir(resolve(options.specs));
      for (const definition of definitions) printDefinition(definition, options, context);
    });
}

function printDefinition(
  definition: SloDefinition,
  options: ValidateOptions,
  context: CommandContext,
): void {
  const { stdout } = context.io;
  const tiers = definition.tiers.map((tier) => ({
    name: tier.name,
    severity: tier.severity,
    burnFactor: burnFactor(tier, definition.period),
    errorRatioThreshold: errorRatioThreshold(tier, definition.period, definition.objective),
    longWindow: formatDuration(tier.longWindow),
    shortWindow: formatDuration(tier.shortWindow),
  }));
  if (options.json) {
    writeJsonLine(stdout, 'slo', {
      file: showPath(definition.file),
      service: definition.service,
      name: definition.name,
      objective: definition.objective,
      period: formatDuration(definition.period),
      tiers,
    });
    return;
  }
  const tierText = tiers.map((tier) => `${tier.name} ${tier.burnFactor}x `
    + `(${tier.longWindow}/${tier.shortWindow}, ${tier.severity})`).join(', ');
  stdout.write(`${definition.service}/${definition.name}: ${definition.objective}% over `
    + `${formatDuration(definition.period)}; ${tierText} [${showPath(definition.file)}]\n`);
}

function extendGenerate(generate: Command, context: CommandContext): void {
  let pending: GeneratedFile[] = [];
  generate
    .option('--specs <dir>', 'directory of the SLO specs whose rules and tests are written '
      + 'with the production rules', showPath(committedSpecsDir))
    .addHelpText('after', `
With the production profile and the default --output, generate also turns
the SLO specs into monitoring/prometheus/rules/slos.yml and
monitoring/prometheus/tests/slos.test.yml, and --check compares them too.
Invalid specs, or specs without any SLO, stop it before any file is written.`)
    .hook('preAction', async (command) => {
      pending = [];
      const options = command.opts<GenerateHookOptions>();
      if ((options.profile ?? 'production') !== 'production' || options.output !== undefined) return;
      const definitions = await loadSpecsDir(resolve(options.specs ?? committedSpecsDir));
      const files = renderSloFiles(definitions, {
        rules: committedSloRulesPath, tests: committedSloTestsPath,
      }, { runbookBaseUrl: options.runbookBaseUrl });
      if (options.check) {
        await assertGeneratedFilesCurrent(files, showPath);
        context.io.stderr.write(`${files.map((file) => showPath(file.path)).join(' and ')} `
          + 'are up to date\n');
        return;
      }
      pending = files;
    })
    .hook('postAction', async () => {
      if (pending.length === 0) return;
      await writeGeneratedFiles(pending);
      context.io.stderr.write(`wrote ${pending.map((file) => showPath(file.path)).join(' and ')}\n`);
      pending = [];
    });
}
