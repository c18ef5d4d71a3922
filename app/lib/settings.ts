// The app server's settings, read from the environment when a request is served (not at build time), so one build
// serves any deployment. The only reader of process.env in the app.
import path from "node:path";
import { z } from "zod";

const url = z.url({ protocol: /^https?$/ });

const schema = z.object({
  FOURFOLD_CHAIN_ID: z.coerce.number().int().positive().default(31337),
  FOURFOLD_RPC_URL: url.default("http://127.0.0.1:8545"),
  FOURFOLD_INDEXER_URL: url.default("http://127.0.0.1:42069"),
  // Ignition's deployments folder (the app server runs in app/).
  FOURFOLD_DEPLOYMENTS_DIR: z.string().min(1).default("../deploy/deployments"),
  // Where POST /api/blobs keeps what it stores (job inputs, encrypted datasets), by sha256.
  FOURFOLD_BLOBS_DIR: z.string().min(1).default("../.fourfold/blobs"),
});

export interface AppSettings {
  chainId: number;
  /** The chain's JSON-RPC endpoint, as the browser reaches it. */
  rpcUrl: string;
  /** The indexer's HTTP API, as this server reaches it (the browser goes through /indexer). */
  indexerUrl: string;
  /** Ignition's deployments folder, absolute. */
  deploymentsDir: string;
  /** The blob store's folder, absolute. */
  blobsDir: string;
}

/** The settings, or an error naming each bad variable. */
export function appSettings(env: Record<string, string | undefined> = process.env): AppSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`bad app settings: ${problems.join("; ")}`);
  }
  const s = parsed.data;
  return {
    chainId: s.FOURFOLD_CHAIN_ID,
    rpcUrl: s.FOURFOLD_RPC_URL,
    indexerUrl: s.FOURFOLD_INDEXER_URL,
    deploymentsDir: path.resolve(s.FOURFOLD_DEPLOYMENTS_DIR),
    blobsDir: path.resolve(s.FOURFOLD_BLOBS_DIR),
  };
}
