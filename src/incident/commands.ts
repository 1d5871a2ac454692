import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import type { CommandContext, RegisterCommands } from '../common/command.js';
import { parseDurationSeconds } from '../common/command.js';
import { SrekitError } from '../common/errors.js';
import {
  actorFrom, addConnectionOptions, addWriteOptions, withService, type ConnectionFlags,
  type WriteFlags,
} from './cli-connection.js';
import { printIncident, printIncidentList, printRecord } from './cli-output.js';
import {
  incidentStates, milestones, parseReference, roles, severities, type IncidentState,
  type Milestone,
} from './model.js';
import { writePostmortem, type PostmortemFlags } from './cli-postmortem.js';
import type { Actor, IncidentService } from './service-api.js';
import { addServeCommand } from './serve-command.js';

const exitStatus = `
Exit status:
  0   success
  1   the incident does not exist, or the server or database failed
  2   bad usage or input, a change that the incident's state does not allow,
      or a missing or rejected API token
`;

const whereHelp = `
Commands run against srekit incident serve when --server or
SREKIT_INCIDENT_URL is set (token from SREKIT_INCIDENT_TOKEN or --token-file),
else directly on the database (--database-url, default a SQLite file under
.srekit/incident/).`;

/** Adds `srekit incident` and its subcommands to the program. */
export const registerIncidentCommands: RegisterCommands = (program, context) => {
  const incident = program.command('incident')
    .description('declare, update and review incidents; serve the incident API')
    .addHelpText('after', whereHelp);
  registerDeclare(incident, context);
  registerList(incident, context);
  registerShow(incident, context);
  registerChanges(incident, context);
  registerPostmortem(incident, context);
  addServeCommand(incident, context);
};

/** Parses `INC-7` or `7` into the incident number. */
function parseIncident(value: string): number {
  const number = parseReference(value);
  if (number === undefined) {
    throw new InvalidArgumentError(`invalid incident reference "${value}": expected INC-N or N`);
  }
  return number;
}

const referenceArgument = () => new Argument('<incident>', 'reference, such as INC-7')
  .argParser(parseIncident);

function help(examples: string[], notes?: string): string {
  const preface = notes === undefined ? '' : `\n${notes}\n`;
  const lines = examples.map((line) => `  $ ${line}`).join('\n');
  return `${preface}\nExamples:\n${lines}\n${exitStatus}`;
}

/** Runs a change on the chosen service and prints the incident it returns. */
function change(
  context: CommandContext,
  verb: string,
  flags: WriteFlags,
  apply: (service: IncidentService, actor: Actor) => Promise<Parameters<typeof printIncident>[2]>,
): Promise<void> {
  const actor = actorFrom(flags, context.io);
  return withService(flags, context.io, async (service) => {
    const incident = await apply(service, actor);
    printIncident(context.io, verb, incident, flags.json === true);
  });
}

function registerDeclare(incident: Command, context: CommandContext): void {
  addWriteOptions(incident.command('declare'))
    .description('declare an incident, which starts in triage')
    .argument('<title...>', 'what is broken, as users see it (up to 200 characters)')
    .addOption(new Option('--severity <level>', 'severity, SEV1 the worst').choices(severities)
      .makeOptionMandatory())
    .option('--service <name>', 'affected service; repeat for more', collect, [])
    .option('--summary <text>', 'what is known so far')
    .option('--commander <name>', 'Incident Commander, assigned at once')
    .addHelpText('after', help([
      'srekit incident declare --severity SEV1 --service orders Orders API returns 503',
      'srekit incident declare --commander ana --server http://127.0.0.1:19096 Slow checkout',
    ]))
    .action((title: string[], flags: WriteFlags & DeclareFlags) =>
      change(context, 'declared', flags, (service, actor) => service.declare({
        title: title.join(' '), severity: flags.severity, services: flags.service,
        summary: flags.summary, commander: flags.commander,
      }, actor)));
}

interface DeclareFlags {
  severity: (typeof severities)[number];
  service: string[];
  summary?: string;
  commander?: string;
}

function registerList(incident: Command, context: CommandContext): void {
  addConnectionOptions(incident.command('list'))
    .description('list incidents, oldest first')
    .option('--state <state>', `only incidents in this state; repeat for more (${incidentStates
      .join(', ')})`, collectState)
    .option('--open', 'only open incidents: triage, investigating, identified, monitoring')
    .addHelpText('after', help([
      'srekit incident list --open',
      'srekit incident list --state resolved --json',
    ]))
    .action((flags: ConnectionFlags & { state?: IncidentState[]; open?: boolean }) =>
      withService(flags, context.io, async (service) => {
        const open: IncidentState[] = ['triage', 'investigating', 'identified', 'monitoring'];
        const states = [...(flags.state ?? []), ...(flags.open === true ? open : [])];
        const incidents = await service.list(states.length === 0 ? {} : { states });
        printIncidentList(context.io, incidents, flags.json === true);
      }));
}

function registerShow(incident: Command, context: CommandContext): void {
  addConnectionOptions(incident.command('show'))
    .description('show an incident and its timeline')
    .addArgument(referenceArgument())
    .addHelpText('after', help(['srekit incident show INC-7', 'srekit incident show 7 --json']))
    .action((number: number, flags: ConnectionFlags) =>
      withService(flags, context.io, async (service) => {
        printRecord(context.io, await service.get(number), flags.json === true);
      }));
}

function registerChanges(incident: Command, context: CommandContext): void {
  addWriteOptions(incident.command('role'))
    .description('assign commander, communications or owner')
    .addArgument(referenceArgument())
    .addArgument(new Argument('<role>', 'role').choices(roles))
    .argument('<person>', 'who takes the role')
    .addHelpText('after', help(['srekit incident role INC-7 commander ana']))
    .action((number: number, role: (typeof roles)[number], person: string, flags: WriteFlags) =>
      change(context, 'updated', flags,
        (service, actor) => service.assignRole(number, role, person, actor)));

  addWriteOptions(incident.command('severity'))
    .description('change the severity')
    .addArgument(referenceArgument())
    .addArgument(new Argument('<severity>', 'new severity').choices(severities))
    .addHelpText('after', help(['srekit incident severity INC-7 SEV1'],
      'A stricter severity may bring the next update forward. SEV3 and SEV4 have\n'
      + 'no update timer.'))
    .action((number: number, severity: (typeof severities)[number], flags: WriteFlags) =>
      change(context, 'updated', flags,
        (service, actor) => service.changeSeverity(number, severity, actor)));

  addWriteOptions(incident.command('note'))
    .description('add a note to the timeline')
    .addArgument(referenceArgument())
    .argument('<text...>', 'the note')
    .addHelpText('after', help(['srekit incident note INC-7 database CPU at 100%']))
    .action((number: number, text: string[], flags: WriteFlags) =>
      change(context, 'updated', flags,
        (service, actor) => service.addNote(number, text.join(' '), actor)));

  registerUpdate(incident, context);
  registerStateChanges(incident, context);
  registerFollowUps(incident, context);
}

function registerUpdate(incident: Command, context: CommandContext): void {
  addWriteOptions(incident.command('update'))
    .description('post a stakeholder update')
    .addArgument(referenceArgument())
    .argument('<text...>', 'the update')
    .addOption(new Option('--audience <audience>', 'who reads it').choices(['internal', 'public'])
      .default('internal'))
    .addOption(new Option('--state <state>', 'move the incident to this state with the update')
      .choices(incidentStates))
    .addHelpText('after', help([
      'srekit incident update INC-7 --audience public --state identified Rolling back the deploy',
    ], 'The next update is due 30 minutes later for SEV1 and 60 minutes later for\n'
      + 'SEV2. SEV3 and SEV4 have no timer.'))
    .action((number: number, text: string[],
      flags: WriteFlags & { audience: 'internal' | 'public'; state?: IncidentState }) =>
      change(context, 'updated', flags, (service, actor) => service.postUpdate(number, {
        audience: flags.audience, text: text.join(' '), state: flags.state,
      }, actor)));
}

function registerStateChanges(incident: Command, context: CommandContext): void {
  const moves: Array<[string, IncidentState, string, string]> = [
    ['resolve', 'resolved', 'resolve an incident once the impact ended', 'resolved'],
    ['cancel', 'cancelled', 'cancel an incident declared by mistake', 'cancelled'],
  ];
  for (const [name, state, description, verb] of moves) {
    addWriteOptions(incident.command(name))
      .description(description)
      .addArgument(referenceArgument())
      .option('--reason <text>', 'why, for the timeline')
      .addHelpText('after', help([`srekit incident ${name} INC-7 --reason "rolled back"`]))
      .action((number: number, flags: WriteFlags & { reason?: string }) =>
        change(context, verb, flags,
          (service, actor) => service.changeState(number, state, flags.reason ?? null, actor)));
  }

  addWriteOptions(incident.command('state'))
    .description('move an incident to another state')
    .addArgument(referenceArgument())
    .addArgument(new Argument('<state>', 'new state').choices(incidentStates))
    .option('--reason <text>', 'why, for the timeline')
    .addHelpText('after', help(['srekit incident state INC-7 monitoring',
      'srekit incident state INC-7 closed']))
    .action((number: number, state: IncidentState, flags: WriteFlags & { reason?: string }) =>
      change(context, 'updated', flags,
        (service, actor) => service.changeState(number, state, flags.reason ?? null, actor)));
}

function registerFollowUps(incident: Command, context: CommandContext): void {
  addWriteOptions(incident.command('milestone'))
    .description('record when a milestone happened')
    .addArgument(referenceArgument())
    .addArgument(new Argument('<milestone>', 'milestone').choices(milestones))
    .argument('[time]', 'ISO 8601 time with a zone (default: now)')
    .addHelpText('after', help(['srekit incident milestone INC-7 started 2026-12-04T19:52:00Z'],
      'Milestones give the time to acknowledge and to resolve in the postmortem.'))
    .action((number: number, milestone: Milestone, at: string | undefined, flags: WriteFlags) =>
      change(context, 'updated', flags, (service, actor) => service.recordMilestone(
        number, milestone, at ?? new Date().toISOString(), actor)));

  addWriteOptions(incident.command('action'))
    .description('add an action item')
    .addArgument(referenceArgument())
    .argument('<title...>', 'what to do')
    .requiredOption('--owner <name>', 'who does it')
    .requiredOption('--due <date>', 'due date, such as 2026-12-11, or an ISO 8601 time')
    .addHelpText('after', help(['srekit incident action INC-7 --owner ben --due 2026-12-11 '
      + 'Add an index on orders.created_at']))
    .action((number: number, title: string[], flags: WriteFlags & { owner: string; due: string }) =>
      change(context, 'updated', flags, (service, actor) => service.addActionItem(number, {
        title: title.join(' '), owner: flags.owner, due: flags.due,
      }, actor)));

  addWriteOptions(incident.command('action-done'))
    .description('mark an action item done')
    .addArgument(referenceArgument())
    .argument('<item>', 'action item number, as `show` lists it', parseItem)
    .addHelpText('after', help(['srekit incident action-done INC-7 2']))
    .action((number: number, item: number, flags: WriteFlags) =>
      change(context, 'updated', flags,
        (service, actor) => service.completeActionItem(number, item, actor)));

  addWriteOptions(incident.command('snooze'))
    .description('pause update reminders')
    .addArgument(referenceArgument())
    .addOption(new Option('--for <duration>', 'how long: 30m, 2h or seconds')
      .argParser(parseDurationSeconds).conflicts('until'))
    .option('--until <time>', 'until this ISO 8601 time, such as 2026-12-04T22:00:00Z')
    .addHelpText('after', help(['srekit incident snooze INC-7 --for 30m']))
    .action((number: number, flags: WriteFlags & { for?: number; until?: string }) => {
      const until = flags.until ?? (flags.for === undefined ? undefined : snoozeEnd(flags.for));
      if (until === undefined) {
        throw new SrekitError('USAGE', 'missing snooze length', {
          hint: 'pass --for DURATION, such as 30m, or --until TIME',
        });
      }
      return change(context, 'updated', flags,
        (service, actor) => service.snoozeReminders(number, until, actor));
    });
}

function registerPostmortem(incident: Command, context: CommandContext): void {
  addConnectionOptions(incident.command('postmortem'))
    .description('write a postmortem draft in Markdown')
    .addArgument(referenceArgument())
    .option('--out <file>', 'write the draft to this file; - or nothing means stdout')
    .option('--force', 'overwrite --out if it exists')
    .addHelpText('after', help([
      'srekit incident postmortem INC-7 --out docs/postmortems/2026-12-04-orders.md',
    ]))
    .action((number: number, flags: ConnectionFlags & PostmortemFlags) =>
      withService(flags, context.io, async (service) => {
        await writePostmortem(await service.get(number), flags, context.io);
      }));
}

/** Returns the time `seconds` from now, raising INVALID_INPUT beyond what Date can hold. */
function snoozeEnd(seconds: number): string {
  const end = new Date(Date.now() + seconds * 1000);
  if (Number.isNaN(end.getTime())) {
    throw new SrekitError('INVALID_INPUT', `invalid snooze length ${seconds} s: `
      + 'the end is later than a JavaScript date can hold (year 275760)',
      { hint: 'pass a shorter --for, such as 2h' });
  }
  return end.toISOString();
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collectState(value: string, previous: IncidentState[] | undefined): IncidentState[] {
  const state = incidentStates.find((known) => known === value);
  if (state === undefined) {
    throw new InvalidArgumentError(`invalid state "${value}": expected one of `
      + incidentStates.join(', '));
  }
  return [...(previous ?? []), state];
}

function parseItem(value: string): number {
  const item = Number(value);
  if (!/^\d{1,9}$/.test(value) || item < 1) {
    throw new InvalidArgumentError(`invalid action item "${value}": expected a positive integer`);
  }
  return item;
}
