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
    // postgres.js waits (0.5-1) x 3^failures / 100 s before reconnecting, up to 20 s, counted over
    // the pool's life: after a failover's few errors a pool waited seconds to reconnect to the new
    // primary behind the same address (HAProxy, a Kubernetes service). Half a second at most.
    backoff: (retries: number) => Math.min(0.5, 0.02 * 2 ** Math.min(retries, 5)),
    connection: {
      application_name: options.applicationName ?? 'verdict',
      ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
    },
  });
}
