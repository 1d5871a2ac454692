import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ToolName } from './args.js';
import type { Step } from './measure.js';

/** Paths of one tool's run in one round, all inside that round's directory. */
export interface ToolContext {
  /** The corpus tree that is backed up. */
  source: string;
  /** The tool's repository directory, or its archive file for tar and zstd. */
  repository: string;
  /** Directory for the tool's cache and home, removed with the round. */
  home: string;
  /** srekit's 32-byte key file. */
  keyFile: string;
  /** Entry script of the srekit command, run with this Node.js. */
  srekitBin: string;
}

/** The commands of one tool's steps. A missing step is one the tool does not have. */
export interface BenchTool {
  name: ToolName;
  /** Programs that must be installed, with the Debian package that has them. */
  programs: { program: string; debianPackage: string }[];
  init?(context: ToolContext): Step;
  backup(context: ToolContext): Step;
  restore(context: ToolContext, target: string): Step;
  verify?(context: ToolContext): Step;
  /** Label of the verify step in the report. */
  verifyCommand?: string;
}

/** Passphrase of the restic and borg repositories, which only this bench reads. */
const passphrase = 'srekit-bench-backup';

/** The srekit entry script of this checkout's build. */
export const defaultSrekitBin = fileURLToPath(new URL('../../src/bin.js', import.meta.url));

function srekit(context: ToolContext, args: string[]): Step {
  return { stages: [{ command: process.execPath, args: [context.srekitBin, 'backup', ...args],
    label: 'node (srekit)' }] };
}

const srekitTool: BenchTool = {
  name: 'srekit',
  programs: [],
  init: (context) => srekit(context, ['init', '--repo', context.repository]),
  backup: (context) => srekit(context, ['create', '--source', context.source,
    '--repo', context.repository, '--key-file', context.keyFile]),
  restore: (context, target) => srekit(context, ['restore', '--repo', context.repository,
    '--to', target, '--key-file', context.keyFile]),
  verify: (context) => srekit(context, ['verify', '--full', '--repo', context.repository,
    '--key-file', context.keyFile]),
  verifyCommand: 'srekit backup verify --full',
};

function resticEnv(context: ToolContext): NodeJS.ProcessEnv {
  return { ...process.env, RESTIC_PASSWORD: passphrase,
    RESTIC_CACHE_DIR: join(context.home, 'restic-cache') };
}

function restic(context: ToolContext, args: string[], cwd?: string): Step {
  return {
    stages: [{ command: 'restic', args: ['--repo', context.repository, '--quiet', ...args] }],
    env: resticEnv(context), cwd,
  };
}

const resticTool: BenchTool = {
  name: 'restic',
  programs: [{ program: 'restic', debianPackage: 'restic' }],
  init: (context) => restic(context, ['init']),
  // Backing up "." from the source keeps the stored paths relative, like the other tools.
  backup: (context) => restic(context, ['backup', '.'], context.source),
  restore: (context, target) => restic(context, ['restore', 'latest', '--target', target]),
  verify: (context) => restic(context, ['check', '--read-data']),
  verifyCommand: 'restic check --read-data',
};

function borgEnv(context: ToolContext): NodeJS.ProcessEnv {
  return { ...process.env, BORG_PASSPHRASE: passphrase, BORG_BASE_DIR: context.home,
    BORG_DISPLAY_PASSPHRASE: 'no' };
}

function borg(context: ToolContext, args: string[], cwd?: string): Step {
  return { stages: [{ command: 'borg', args }], env: borgEnv(context), cwd };
}

const borgTool: BenchTool = {
  name: 'borg',
  programs: [{ program: 'borg', debianPackage: 'borgbackup' }],
  init: (context) => borg(context, ['init', '--encryption', 'repokey', context.repository]),
  backup: (context) => borg(context, ['create', '--compression', 'zstd,3',
    `${context.repository}::bench`, '.'], context.source),
  // borg extract writes into its working directory.
  restore: (context, target) => borg(context, ['extract', `${context.repository}::bench`],
    target),
  verify: (context) => borg(context, ['check', '--verify-data', context.repository]),
  verifyCommand: 'borg check --verify-data',
};

const tarZstdTool: BenchTool = {
  name: 'tar-zstd',
  programs: [
    { program: 'tar', debianPackage: 'tar' },
    { program: 'zstd', debianPackage: 'zstd' },
  ],
  backup: (context) => ({ stages: [
    { command: 'tar', args: ['-cf', '-', '-C', context.source, '.'] },
    { command: 'zstd', args: ['-T0', '-3', '-q', '-o', context.repository] },
  ] }),
  restore: (context, target) => ({ stages: [
    { command: 'zstd', args: ['-dc', context.repository] },
    { command: 'tar', args: ['-xf', '-', '-C', target] },
  ] }),
};

/** Every tool of the bench, by name. */
export const benchTools: Record<ToolName, BenchTool> = {
  'srekit': srekitTool,
  'restic': resticTool,
  'borg': borgTool,
  'tar-zstd': tarZstdTool,
};
