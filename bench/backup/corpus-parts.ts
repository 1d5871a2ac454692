import BetterSqlite3 from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LogLineWriter } from './log-lines.js';
import type { SeededRandom } from './random.js';
import { mebibyte } from './size.js';

/** Largest generated log or binary file. */
const maxPartFileBytes = 64 * mebibyte;

/** Start of the generated logs' timestamps: 2026-11-01T00:00:00Z. */
const logStartMs = Date.UTC(2026, 10, 1);

function splitIntoFiles(bytes: number): number[] {
  const count = Math.max(1, Math.ceil(bytes / maxPartFileBytes));
  const sizes = Array.from({ length: count }, () => Math.floor(bytes / count));
  sizes[0] = (sizes[0] ?? 0) + bytes - sizes.reduce((sum, size) => sum + size, 0);
  return sizes;
}

function writeText(path: string, lines: LogLineWriter, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    let written = 0;
    while (written < bytes) {
      let chunk = '';
      while (chunk.length < mebibyte && written + chunk.length < bytes) chunk += lines.next();
      // The lines are ASCII, so string length equals byte length.
      const text = chunk.slice(0, bytes - written);
      writeSync(fd, text);
      written += text.length;
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes `bytes` of service logs into `dir` as files of at most 64 MiB. */
export function writeLogFiles(dir: string, random: SeededRandom, bytes: number): void {
  mkdirSync(dir, { recursive: true });
  const lines = new LogLineWriter(random, logStartMs);
  splitIntoFiles(bytes).forEach((size, index) => {
    writeText(join(dir, `orders-api-${String(index).padStart(3, '0')}.log`), lines, size);
  });
}

/** Writes `bytes` of incompressible random data into `dir` as files of at most 64 MiB. */
export function writeBinaryFiles(dir: string, random: SeededRandom, bytes: number): void {
  mkdirSync(dir, { recursive: true });
  splitIntoFiles(bytes).forEach((size, index) => {
    const fd = openSync(join(dir, `blob-${String(index).padStart(3, '0')}.bin`), 'w');
    try {
      for (let written = 0; written < size; written += mebibyte) {
        writeSync(fd, random.bytes(Math.min(mebibyte, size - written)));
      }
    } finally {
      closeSync(fd);
    }
  });
}

function smallFileContent(random: SeededRandom, lines: LogLineWriter, size: number): Buffer {
  // One file in four is random bytes, like images or archives, and the rest is log text.
  if (random.below(4) === 0) return random.bytes(size);
  let text = '';
  while (text.length < size) text += lines.next();
  return Buffer.from(text.slice(0, size));
}

/**
 * Writes `count` files of 1 to 8 KiB under `dir`, spread over three levels
 * of ten directories each. Returns their total size in bytes.
 */
export function writeSmallFiles(dir: string, random: SeededRandom, count: number): number {
  const lines = new LogLineWriter(random, logStartMs);
  const created = new Set<string>();
  let total = 0;
  for (let index = 0; index < count; index += 1) {
    const parent = join(dir, `a${random.below(10)}`, `b${random.below(10)}`, `c${random.below(10)}`);
    if (!created.has(parent)) {
      mkdirSync(parent, { recursive: true });
      created.add(parent);
    }
    const size = random.between(1024, 8 * 1024);
    const fd = openSync(join(parent, `file-${String(index).padStart(6, '0')}.dat`), 'w');
    try {
      writeSync(fd, smallFileContent(random, lines, size));
    } finally {
      closeSync(fd);
    }
    total += size;
  }
  return total;
}

const statuses = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'];
const words = ['express', 'gift', 'fragile', 'leave at door', 'call first', 'weekend',
  'back entrance', 'no plastic', 'reorder', 'priority'];

function insertOrders(db: BetterSqlite3.Database, random: SeededRandom, first: number,
  count: number): void {
  const insert = db.prepare('INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let id = first; id < first + count; id += 1) {
      const note = Array.from({ length: random.below(6) }, () => random.pick(words)).join(', ');
      insert.run(id, `customer-${random.below(200_000)}`, random.pick(statuses),
        random.below(100_000), random.pick(['EUR', 'USD', 'GBP']),
        new Date(logStartMs + id * 1000).toISOString(),
        `${random.below(9999)} Main Street, ${random.bytes(6).toString('hex')}`, note);
    }
  })();
}

/**
 * Writes a SQLite database of orders at `path`, adding rows until the file
 * reaches about `bytes` (it ends at most one batch of rows past it).
 */
export function writeSqliteDatabase(path: string, random: SeededRandom, bytes: number): void {
  const db = new BetterSqlite3(path);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL,
      status TEXT NOT NULL, total_cents INTEGER NOT NULL, currency TEXT NOT NULL,
      created_at TEXT NOT NULL, shipping_address TEXT NOT NULL, note TEXT NOT NULL)`);
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const batch = 1_000;
    for (let first = 1; ; first += batch) {
      if (Number(db.pragma('page_count', { simple: true })) * pageSize >= bytes) break;
      insertOrders(db, random, first, batch);
    }
  } finally {
    db.close();
  }
}
