import postgres from 'postgres';

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;
/** Anything queries can run on: a pool or an open transaction. */
export type Queryable = postgres.Sql | postgres.TransactionSql;

export interface ConnectOptions {
  readonly max?: number;
  readonly connectTimeoutSeconds?: number;
  /** Server-side statement_timeout for every session of the pool. */
  readonly statementTimeoutMs?: number;
  readonly applicationName?: string;
}

/**
 * Opens a postgres.js pool. Column names come back camelCased; int8 values come back as numbers
 * (counters and ids here stay far below 2^53).
 */
export function connect(url: string, options: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    idle_timeout: 60,
    onnotice: () => undefined,
    transform: { column: { from: postgres.toCamel } },
    types: {
      bigint: { to: 20, from: [20], serialize: (v: number | bigint) => v.toString(), parse: (v: string) => Number(v) },
    },
    // Notice a dead peer within ~10 s instead of the kernel's two hours.
    keep_alive: 10,
    connection: {
      application_name: options.applicationName ?? 'verdict',
      ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
    },
  });
}
