// The app as tests and benches run it: `next start` on a port of their own (the app must be built), and Debian's
// chromium driven by playwright-core, headless, with the flags that work on this machine kind (docs/toolchain.md).
import { existsSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { freePort, type Running, runNode } from "../../../scripts/test/support.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const NEXT = path.join(ROOT, "node_modules", "next", "dist", "bin", "next");
export const CHROMIUM = "/usr/bin/chromium";

/** Why the browser tests cannot run here, if they cannot. */
export const noChromium = (): string | false =>
  existsSync(CHROMIUM)
    ? false
    : `no ${CHROMIUM}: install Debian's chromium (apt-get install chromium), as .ci/run does`;

/** Runs the built app against `rpcUrl` and `indexerUrl`, its blob store in `blobsDir`; resolves once it is ready. */
export async function startApp(options: {
  rpcUrl: string;
  indexerUrl: string;
  blobsDir: string;
}): Promise<{ running: Running; url: string }> {
  if (!existsSync(path.join(ROOT, "app", ".next", "BUILD_ID"))) {
    throw new Error("the app is not built: run `npm run build:app` first (npm test does)");
  }
  const port = await freePort();
  const running = runNode([NEXT, "start", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: path.join(ROOT, "app"),
    env: {
      NEXT_TELEMETRY_DISABLED: "1",
      FOURFOLD_CHAIN_ID: "31337",
      FOURFOLD_RPC_URL: options.rpcUrl,
      FOURFOLD_INDEXER_URL: options.indexerUrl,
      FOURFOLD_BLOBS_DIR: options.blobsDir,
    },
  });
  await running.until(/Ready in/, 60_000);
  return { running, url: `http://127.0.0.1:${port}` };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
