// The indexer's configuration, parsed once from the environment (see .env.example): which chain, its RPC endpoint,
// and the database. The only file that reads process.env.
import { z } from "zod";

const LOCAL_CHAIN_ID = 31337;

const schema = z
  .object({
    FOURFOLD_CHAIN_ID: z.coerce.number().int().positive().default(LOCAL_CHAIN_ID),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    FOURFOLD_INDEXER_PGLITE_DIR: z.string().min(1).default(".ponder/pglite"),
    FOURFOLD_INDEXER_POLLING_MS: z.coerce.number().int().min(50).max(60_000).optional(),
  })
  .loose();

export interface IndexerSettings {
  readonly chainId: number;
  readonly rpcUrl: string;
  readonly pollingIntervalMs: number;
  readonly database: { kind: "pglite"; directory: string } | { kind: "postgres"; connectionString: string };
}

/** Reads the settings from `env`; a bad or missing value is an error that names it. */
export function indexerSettings(env: Readonly<Record<string, string | undefined>>): IndexerSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`indexer configuration: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const {
    FOURFOLD_CHAIN_ID: chainId,
    DATABASE_URL,
    FOURFOLD_INDEXER_PGLITE_DIR,
    FOURFOLD_INDEXER_POLLING_MS,
  } = parsed.data;
  const rpcKey = `PONDER_RPC_URL_${chainId}`;
  const rpcUrl = env[rpcKey] ?? (chainId === LOCAL_CHAIN_ID ? "http://127.0.0.1:8545" : undefined);
  if (rpcUrl === undefined) throw new Error(`indexer configuration: ${rpcKey} is not set (the chain's RPC URL)`);
  if (!z.url({ protocol: /^(https?|wss?)$/ }).safeParse(rpcUrl).success) {
    throw new Error(`indexer configuration: ${rpcKey} is not an http(s) or ws(s) URL: ${rpcUrl}`);
  }
  return Object.freeze({
    chainId,
    rpcUrl,
    pollingIntervalMs: FOURFOLD_INDEXER_POLLING_MS ?? (chainId === LOCAL_CHAIN_ID ? 250 : 1_000),
    database:
      DATABASE_URL === undefined
        ? { kind: "pglite" as const, directory: FOURFOLD_INDEXER_PGLITE_DIR }
        : { kind: "postgres" as const, connectionString: DATABASE_URL },
  });
}
