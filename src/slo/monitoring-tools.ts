import { execFile } from 'node:child_process';
import { SrekitError } from '../common/errors.js';
import { findExecutable } from '../common/process.js';

/** Paths of the Prometheus tools that the monitoring checks run. */
export interface MonitoringTools {
  promtool: string;
  amtool: string;
}

/** The Debian package that installs each tool. */
const toolPackages: Record<keyof MonitoringTools, string> = {
  promtool: 'prometheus',
  amtool: 'prometheus-alertmanager',
};

/**
 * Finds promtool and amtool in the directories of `pathVariable` (a PATH
 * value). Throws MISSING_BINARY naming each missing tool and its package.
 */
export function findMonitoringTools(pathVariable: string): MonitoringTools {
  const promtool = findExecutable(['promtool'], pathVariable);
  const amtool = findExecutable(['amtool'], pathVariable);
  if (promtool !== undefined && amtool !== undefined) return { promtool, amtool };

  const missing = (['promtool', 'amtool'] as const)
    .filter((tool) => (tool === 'promtool' ? promtool : amtool) === undefined);
  const packages = missing.map((tool) => toolPackages[tool]);
  return missingTools(missing, packages);
}

function missingTools(missing: readonly string[], packages: readonly string[]): never {
  throw new SrekitError('MISSING_BINARY',
    `could not find ${missing.join(' and ')} on PATH, which the monitoring checks run`, {
      hint: `install the Debian package${packages.length > 1 ? 's' : ''}: `
        + `sudo apt-get install ${packages.join(' ')}`,
    });
}

/** Exit code and output of one tool run. */
export interface ToolRun {
  /** The tool's exit code, or -1 when it was killed after timing out. */
  exitCode: number;
  /** Standard output followed by standard error. */
  output: string;
}

/** The time one tool run may take before it is killed. */
const toolTimeoutMs = 120_000;

/**
 * Runs `command` with `args` and returns its exit code and output. Rejects
 * only when the program cannot be started at all.
 */
export function runTool(command: string, args: readonly string[], cwd?: string): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const options = { cwd, timeout: toolTimeoutMs, maxBuffer: 16 * 1024 * 1024 };
    execFile(command, args, options, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error === null) {
        resolve({ exitCode: 0, output });
        return;
      }
      if (typeof error.code === 'number') {
        resolve({ exitCode: error.code, output });
        return;
      }
      if (error.killed) {
        const seconds = toolTimeoutMs / 1000;
        resolve({ exitCode: -1, output: `${output}\n${command} timed out after ${seconds}s` });
        return;
      }
      reject(error);
    });
  });
}
