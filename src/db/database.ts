import type { Sql, TransactionSql } from './connect.js';

/**
 * The application's handle on Postgres. Every multi-step change goes through `transaction`, the one
 * place where write-path policy (fencing, retries after failover) is added.
 */
export class Database {
  constructor(readonly sql: Sql) {}

  transaction<T>(work: (tx: TransactionSql) => Promise<T>): Promise<T> {
    return this.sql.begin((tx) => work(tx)) as Promise<T>;
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}
