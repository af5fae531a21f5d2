/**
 * The store's schema, as an ordered list of migrations. Append only: a released migration is
 * never edited; a change is a new entry with the next version. `openStore` applies every
 * migration above the file's `schema_version` in one transaction, and refuses a file whose
 * version is above the last entry here (written by a newer replaywatch).
 *
 * Times are BIGINT milliseconds since the epoch (UTC): exact, cheap to compare, and free of
 * time-zone conversions between DuckDB and JavaScript.
 */
export interface Migration {
  version: number;
  description: string;
  statements: string[];
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'canary tokens and their hits',
    statements: [
      `CREATE TABLE canary (
         token      VARCHAR PRIMARY KEY,
         label      VARCHAR NOT NULL,
         url        VARCHAR NOT NULL,
         created_ms BIGINT  NOT NULL,
         revoked_ms BIGINT
       )`,
      // id: random, minted when the hit is recorded, so a hit imported twice (journal replay
      // after a crash) is stored once
      `CREATE TABLE canary_hit (
         id              VARCHAR PRIMARY KEY,
         token           VARCHAR NOT NULL,
         time_ms         BIGINT  NOT NULL,
         ip              VARCHAR NOT NULL,
         peer            VARCHAR NOT NULL,
         method          VARCHAR NOT NULL,
         url             VARCHAR NOT NULL,
         user_agent      VARCHAR,
         referer         VARCHAR,
         accept_language VARCHAR,
         via             VARCHAR,
         x_forwarded_for VARCHAR,
         source          VARCHAR NOT NULL
       )`,
      'CREATE INDEX canary_hit_token ON canary_hit (token, time_ms)',
    ],
  },
];

export const latestSchemaVersion = migrations[migrations.length - 1]!.version;
