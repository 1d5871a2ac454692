import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { findFreePorts, waitForHttpReady } from '../../src/common/process.js';

/** An s3rver process on 127.0.0.1 with one bucket, and the settings a client needs. */
export interface S3Server {
  endpoint: string;
  bucket: string;
  /** The directory where s3rver keeps its objects. */
  directory: string;
  /** AWS_* variables that point the SDK at this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** s3rver's built-in access key and secret, which it accepts for every request. */
const s3rverCredential = 'S3RVER';

/**
 * Starts s3rver 3.7.1 on a free loopback port with an empty bucket in a
 * temporary directory. `stop` ends the process and removes the directory.
 */
export async function startS3Server(bucket = 'backups'): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'srekit-s3rver-'));
  const [port] = await findFreePorts(1);
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const child: ChildProcess = spawn(process.execPath, [bin, '--directory', directory,
    '--address', '127.0.0.1', '--port', String(port), '--silent',
    '--configure-bucket', bucket], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await rm(directory, { recursive: true, force: true });
  };
  const ready = await waitForHttpReady(`${endpoint}/`, {
    timeoutMs: 15_000, isAlive: () => child.exitCode === null,
  });
  if (!ready.ready) {
    await stop();
    throw new Error(`s3rver did not start on ${endpoint}: ${ready.lastError} ${stderr}`);
  }
  return {
    endpoint, bucket, directory, stop,
    env: {
      AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: s3rverCredential, AWS_SECRET_ACCESS_KEY: s3rverCredential,
    },
  };
}

/**
 * Starts one s3rver for the calling test file and stops it after its tests.
 * The server's AWS_* settings go into process.env, where the S3 client reads
 * them, as the CLI does. Returns a getter, because the server starts later.
 */
export function useS3Server(): () => S3Server {
  let server: S3Server | undefined;
  before(async () => {
    server = await startS3Server();
    Object.assign(process.env, server.env);
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('the S3 server has not started yet');
    return server;
  };
}
