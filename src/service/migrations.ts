import type { Kysely, Migration, MigrationProvider } from 'kysely';

/** SQL dialects the service supports; they differ in how ids are generated. */
export type Dialect = 'sqlite' | 'postgres';

/**
 * Returns the schema migrations, which Kysely's Migrator applies in name order. Add new
 * migrations under new names and never edit one that has been released,
 * because databases record which names they have applied.
 */
export function createMigrationProvider(dialect: Dialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001_create_orders': createOrdersTables(dialect),
  };
  return { getMigrations: async () => migrations };
}

function createOrdersTables(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('orders')
        .addColumn('id', 'integer', (column) => (dialect === 'sqlite'
          ? column.primaryKey().autoIncrement()
          : column.primaryKey().generatedByDefaultAsIdentity()))
        .addColumn('customer', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('cancelled_at', 'text')
        .execute();

      await db.schema
        .createTable('order_items')
        .addColumn('order_id', 'integer', (column) => column
          .notNull()
          .references('orders.id')
          .onDelete('cascade'))
        .addColumn('line', 'integer', (column) => column.notNull())
        .addColumn('sku', 'text', (column) => column.notNull())
        .addColumn('quantity', 'integer', (column) => column.notNull())
        .addPrimaryKeyConstraint('order_items_pkey', ['order_id', 'line'])
        .execute();
    },

    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('order_items').execute();
      await db.schema.dropTable('orders').execute();
    },
  };
}
