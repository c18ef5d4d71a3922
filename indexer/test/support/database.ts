// The database an indexer test runs on: PGlite in the test's directory, or, with FOURFOLD_TEST_DATABASE_URL (a
// Postgres server URL), a database of the test's own on that server, dropped afterwards.
import { randomBytes } from "node:crypto";
import pg from "pg";

export interface TestDatabase {
  readonly kind: "pglite" | "postgres";
  /** What the indexer's environment needs to use it. */
  readonly env: Record<string, string>;
  drop(): Promise<void>;
}

/** The Postgres server tests may use, if any. */
export const postgresUrl = (): string | undefined => process.env.FOURFOLD_TEST_DATABASE_URL || undefined;

export async function testDatabase(kind: "pglite" | "postgres"): Promise<TestDatabase> {
  const server = postgresUrl();
  if (kind === "pglite") return { kind, env: {}, drop: async () => {} };
  if (server === undefined) throw new Error("FOURFOLD_TEST_DATABASE_URL is not set");
  const name = `fourfold_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    kind,
    env: { DATABASE_URL: url.toString() },
    async drop() {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
