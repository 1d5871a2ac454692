import type { SeededRandom } from './random.js';

const levels = ['INFO', 'INFO', 'INFO', 'INFO', 'INFO', 'DEBUG', 'DEBUG', 'WARN', 'ERROR'];
const methods = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const routes = ['/orders', '/orders/{id}', '/orders/{id}/items', '/customers/{id}',
  '/health', '/metrics', '/payments/{id}/capture', '/carts/{id}'];
const agents = ['curl/8.4.0', 'okhttp/4.12.0', 'Mozilla/5.0 (X11; Linux x86_64)',
  'python-requests/2.31', 'Go-http-client/1.1'];
const messages = ['request completed', 'request completed', 'request completed',
  'slow query on orders', 'retrying upstream call', 'cache miss'];

function statusFor(random: SeededRandom, level: string): number {
  if (level === 'ERROR') return random.pick([500, 502, 503]);
  if (level === 'WARN') return random.pick([404, 409, 429]);
  return random.pick([200, 200, 200, 201, 204]);
}

function hex(random: SeededRandom, digits: number): string {
  let text = '';
  while (text.length < digits) text += random.below(0x10000).toString(16).padStart(4, '0');
  return text.slice(0, digits);
}

/**
 * Writes the access and application log lines of a web service, one per
 * request, starting at `startMs` (Unix time in milliseconds). Each line has
 * a timestamp, level, trace and span ids, method, path, status, duration and
 * byte count. The random ids keep zstd -3 near a 4x ratio, as on real logs.
 */
export class LogLineWriter {
  private timeMs: number;

  constructor(private readonly random: SeededRandom, startMs: number) {
    this.timeMs = startMs;
  }

  /** Returns the next line, with its newline. */
  next(): string {
    const random = this.random;
    this.timeMs += random.below(40);
    const level = random.pick(levels);
    const path = random.pick(routes).replace('{id}', String(random.below(500_000)));
    const duration = (random.below(200_000) / 1000).toFixed(3);
    const client = `10.${random.below(16)}.${random.below(256)}.${random.below(256)}`;
    return `${new Date(this.timeMs).toISOString()} ${level.padEnd(5)} orders-api `
      + `trace_id=${hex(random, 32)} span_id=${hex(random, 16)} `
      + `method=${random.pick(methods)} path=${path} status=${statusFor(random, level)} `
      + `duration_ms=${duration} bytes=${random.below(65_536)} client=${client} `
      + `user_agent="${random.pick(agents)}" msg="${random.pick(messages)}"\n`;
  }
}
