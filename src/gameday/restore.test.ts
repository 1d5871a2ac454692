import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectDatabase, readOrders } from './orders-database.js';
import { restoreChecks, type RestoreMeasurement } from './restore.js';

const objectives = { rtoSeconds: 1800, rpoSeconds: 900 };

const good: RestoreMeasurement = {
  ordersBefore: 100,
  ordersAfter: 104,
  backupTime: new Date('2026-12-04T12:00:00.000Z'),
  destroyedAt: new Date('2026-12-04T12:00:01.500Z'),
  answeredAt: new Date('2026-12-04T12:00:04.000Z'),
  integrity: 'ok',
  restoredOrders: 102,
  sampled: 10,
  readBack: 10,
};

function createOrdersDatabase(path: string, customers: string[]): void {
  const database = new Database(path);
  database.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, '
    + 'customer TEXT NOT NULL); CREATE INDEX orders_customer ON orders (customer);');
  const insert = database.prepare('INSERT INTO orders (customer) VALUES (?)');
  for (const customer of customers) insert.run(customer);
  database.close();
}

function temporaryDirectory(t: { after(fn: () => void): void }): string {
  const directory = mkdtempSync(join(tmpdir(), 'srekit-gameday-restore-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

test('good restore passes every check', () => {
  const checks = restoreChecks(good, objectives);
  assert.deepEqual(checks.map((check) => check.name), [
    'service reads orders again within the RTO',
    'data loss window within the RPO of class db',
    'restored database passes integrity_check',
    'restored database contains the backed-up orders',
    'orders from before the backup read back',
  ]);
  for (const check of checks) assert.equal(check.passed, true, check.name);
  assert.equal(checks[0]?.observedSeconds, 2.5);
  assert.equal(checks[0]?.expectedMaxSeconds, 1800);
  assert.equal(checks[1]?.observedSeconds, 1.5);
  assert.equal(checks[1]?.expectedMaxSeconds, 900);
  assert.equal(checks[3]?.expectedValue, '100 to 104 orders');
  assert.equal(checks[3]?.observedValue, '102 orders');
  assert.equal(checks[4]?.observedValue, '10 of 10');
});

test('each bad outcome fails its own check', () => {
  const cases: Array<{ change: Partial<RestoreMeasurement>; failing: string }> = [
    { change: { answeredAt: new Date('2026-12-04T12:30:02.000Z') },
      failing: 'service reads orders again within the RTO' },
    { change: { backupTime: new Date('2026-12-04T11:45:00.000Z') },
      failing: 'data loss window within the RPO of class db' },
    { change: { integrity: 'row 8 missing from index orders_customer' },
      failing: 'restored database passes integrity_check' },
    { change: { restoredOrders: 99 },
      failing: 'restored database contains the backed-up orders' },
    // More orders than after the backup means the old file was never replaced.
    { change: { restoredOrders: 105 },
      failing: 'restored database contains the backed-up orders' },
    { change: { readBack: 9 }, failing: 'orders from before the backup read back' },
    { change: { sampled: 0, readBack: 0 }, failing: 'orders from before the backup read back' },
  ];
  for (const { change, failing } of cases) {
    const checks = restoreChecks({ ...good, ...change }, objectives);
    const failed = checks.filter((check) => !check.passed).map((check) => check.name);
    assert.deepEqual(failed, [failing], JSON.stringify(change));
  }
});

test('readOrders counts and samples newest first', (t) => {
  const path = join(temporaryDirectory(t), 'orders.sqlite');
  createOrdersDatabase(path, ['ada', 'bob', 'cy', 'dee', 'eve']);
  const snapshot = readOrders(path, 3);
  assert.equal(snapshot.count, 5);
  assert.equal(snapshot.sample.length, 3);
  assert.deepEqual(snapshot.sample[0], { id: 5, customer: 'eve' });
  const ids = new Set(snapshot.sample.map((order) => order.id));
  assert.equal(ids.size, 3, 'the sample repeats an order');
  assert.equal(readOrders(path, 20).sample.length, 5);
});

test('readOrders rejects a missing database', (t) => {
  const path = join(temporaryDirectory(t), 'missing.sqlite');
  assert.throws(() => readOrders(path, 3), /unable to open database file/);
});

test('inspectDatabase reports a damaged index', (t) => {
  const path = join(temporaryDirectory(t), 'orders.sqlite');
  const customers = Array.from({ length: 50 }, (_, index) => `customer-${index}`);
  createOrdersDatabase(path, customers);
  assert.deepEqual(inspectDatabase(path), { integrity: 'ok', orderCount: 50 });

  // Rename one entry inside the index page, so the index disagrees with the table.
  const database = new Database(path, { readonly: true });
  const { rootpage } = database.prepare(
    "SELECT rootpage FROM sqlite_master WHERE name = 'orders_customer'").get() as
    { rootpage: number };
  const pageSize = Number(database.pragma('page_size', { simple: true }));
  database.close();
  const bytes = readFileSync(path);
  const page = bytes.subarray((rootpage - 1) * pageSize, rootpage * pageSize);
  const offset = page.indexOf('customer-7');
  assert.ok(offset >= 0, 'the index page does not hold customer-7');
  page.write('CUSTOMER', offset);
  writeFileSync(path, bytes);

  const inspection = inspectDatabase(path);
  assert.match(inspection.integrity, /missing from index orders_customer/);
  assert.equal(inspection.orderCount, 50);
});
