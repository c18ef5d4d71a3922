// Runs the real indexer (`ponder start`) for tests and benches: on the chain at `rpcUrl`, on a port of its own on
// 127.0.0.1, with PGlite under `dataDir` unless `env` names a Postgres DATABASE_URL.
import path from "node:path";
import { freePort, type Running, runNode } from "../../../scripts/test/support.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const PONDER = path.join(ROOT, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");

export interface Indexer {
  running: Running;
  /** Its HTTP API, e.g. http://127.0.0.1:43210 */
  url: string;
}

/** Starts `ponder start` with `args` (a schema, maybe a views schema); resolves once it serves HTTP. */
export async function startPonder(options: {
  rpcUrl: string;
  dataDir: string;
  args: readonly string[];
  env?: Record<string, string>;
}): Promise<Indexer> {
  const port = await freePort();
  const running = runNode([PONDER, "start", ...options.args, "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: path.join(ROOT, "indexer"),
    env: {
      PONDER_TELEMETRY_DISABLED: "1",
      PONDER_RPC_URL_31337: options.rpcUrl,
      FOURFOLD_INDEXER_PGLITE_DIR: path.join(options.dataDir, "pglite"),
      FOURFOLD_INDEXER_POLLING_MS: "100",
      ...options.env,
    },
  });
  try {
    await running.until(/Created HTTP server/, 120_000);
  } catch (error) {
    await stop(running);
    throw error;
  }
  return { running, url: `http://127.0.0.1:${port}` };
}

/** Stops a process started for a test (SIGINT, as Ctrl-C would) and waits for it to exit. */
export async function stop(running: Running | undefined): Promise<void> {
  if (running === undefined || running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill("SIGINT");
  await running.exited;
}

/** Waits until the indexer at `url` has indexed block `head` (its GraphQL `_meta`); fails if `running` exits. */
export async function untilIndexed(indexer: Indexer, head: bigint, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (indexer.running.child.exitCode !== null) {
      throw new Error(`the indexer exited:\n${indexer.running.output().slice(-3_000)}`);
    }
    const response = await fetch(`${indexer.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ _meta { status } }" }),
    }).catch(() => undefined);
    const body = (await response?.json().catch(() => undefined)) as
      | { data?: { _meta: { status: { fourfold?: { block?: { number: number } } } } } }
      | undefined;
    if ((body?.data?._meta.status.fourfold?.block?.number ?? 0) >= Number(head)) return;
    if (Date.now() > deadline) throw new Error(`block ${head} not indexed within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
