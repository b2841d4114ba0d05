import postgres from 'postgres';

export type Sql = postgres.Sql;

export interface PostgresClientOptions {
  url: string;
  /** Connections in this process' pool. A Lambda handles one invocation at a time: keep it small. */
  max?: number;
  /** Application name shown in pg_stat_activity. */
  name?: string;
}

/**
 * One client per cold start. Short connect timeout so an unreachable database fails an invocation
 * quickly (SQS retries it) instead of holding it until the function times out; idle connections are
 * closed so a frozen Lambda does not keep a dead socket; notices are not logged.
 */
export function createPostgresClient(options: PostgresClientOptions): Sql {
  return postgres(options.url, {
    max: options.max ?? 2,
    connect_timeout: 5,
    idle_timeout: 20,
    max_lifetime: 60 * 30,
    onnotice: () => undefined,
    connection: { application_name: options.name ?? 'live-sale' },
    // bigint columns come back as JS numbers: every amount and seq in this system is a safe integer.
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number) => String(value),
        parse: (value: string) => Number(value),
      },
    },
  });
}

/** Errors that mean the data itself was refused (SQLSTATE classes 22 and 23), not the database. */
export function isDataRejection(error: unknown): boolean {
  return error instanceof postgres.PostgresError && /^(22|23)/.test(error.code);
}
