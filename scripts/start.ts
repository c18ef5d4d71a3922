// `npm start`: the local Fourfold grid. Compiles the contracts, starts a Hardhat chain on 127.0.0.1, deploys every
// contract with the Ignition module, writes generated/ (ABIs and addresses), starts the indexer (Ponder on PGlite in
// .fourfold/indexer/, fresh each time, like the chain), builds the dApp if its sources changed and serves it, prints
// the addresses and URLs and keeps running until Ctrl-C, when it stops everything it started. Each process logs to
// .fourfold/logs/.
//
// Settings (environment):
//   FOURFOLD_RPC_PORT       the chain's JSON-RPC port on 127.0.0.1 (default 8545)
//   FOURFOLD_INDEXER_PORT   the indexer's HTTP port on 127.0.0.1 (default 42069)
//   FOURFOLD_APP_PORT       the dApp's HTTP port on 127.0.0.1 (default 3000)
// Flags:
//   --chain-only            the chain and the deployment only (what tests that need a chain run)
import { rm } from "node:fs/promises";
import path from "node:path";
import { appBuildIsCurrent, nextBuild, nextStart, stampAppBuild } from "./lib/app-build.ts";
import { CodegenError, codegen } from "./lib/codegen.ts";
import { assertPortFree, rpcChainId, type Service, startService, tail, waitFor } from "./lib/processes.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const HARDHAT = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const LOGS = path.join(ROOT, ".fourfold", "logs");
const PONDER = path.join(ROOT, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");
const INDEXER_DATA = path.join(ROOT, ".fourfold", "indexer");
const BLOBS = path.join(ROOT, ".fourfold", "blobs");
const LOCAL_CHAIN_ID = 31337;
const started = Date.now();

class StartError extends Error {}

function readPort(variable: string, fallback: number): number {
  const raw = process.env[variable] ?? String(fallback);
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new StartError(`${variable} must be a port number from 1 to 65535, not "${raw}"`);
  }
  return port;
}

/** Fails unless 127.0.0.1:`port` is free, saying which setting moves it. */
async function requireFreePort(port: number, variable: string): Promise<void> {
  await assertPortFree(port).catch((error: NodeJS.ErrnoException) => {
    throw new StartError(
      error.code === "EADDRINUSE"
        ? `127.0.0.1:${port} is already in use (another \`npm start\`?): stop it, or set ${variable} to a free port`
        : `cannot listen on 127.0.0.1:${port}: ${error.message}`,
    );
  });
}

/** Whether `url` answers 200. */
async function answers(url: string): Promise<true | undefined> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
  return response?.status === 200 ? true : undefined;
}

function step(message: string): void {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`);
}

const services: Service[] = [];
let stopping = false;

/** Runs a Hardhat command to completion, its output in a log file; on failure, the error shows the log's end. */
async function hardhat(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const service = await startService({
    name,
    command: process.execPath,
    args: [HARDHAT, ...args],
    cwd: ROOT,
    env,
    logFile: path.join(LOGS, `${name}.log`),
  });
  services.push(service); // so that Ctrl-C in the middle stops it too
  const code = await service.exited;
  services.splice(services.indexOf(service), 1);
  if (code !== 0) {
    throw new StartError(
      `${name} failed (exit ${code}); the end of ${service.logFile}:\n${await tail(service.logFile)}`,
    );
  }
}

async function stopAll(): Promise<void> {
  for (const service of [...services].reverse()) await service.stop();
}

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local grid`);
  await stopAll();
  process.exit(0);
}

async function main(): Promise<void> {
  const chainOnly = process.argv.includes("--chain-only");
  const unknown = process.argv.slice(2).filter((arg) => arg !== "--chain-only");
  if (unknown.length > 0) throw new StartError(`unknown argument ${unknown[0]} (the one flag is --chain-only)`);
  const port = readPort("FOURFOLD_RPC_PORT", 8545);
  const indexerPort = chainOnly ? undefined : readPort("FOURFOLD_INDEXER_PORT", 42_069);
  const appPort = chainOnly ? undefined : readPort("FOURFOLD_APP_PORT", 3_000);
  const rpcUrl = `http://127.0.0.1:${port}`;
  await requireFreePort(port, "FOURFOLD_RPC_PORT");
  if (indexerPort !== undefined) await requireFreePort(indexerPort, "FOURFOLD_INDEXER_PORT");
  if (appPort !== undefined) await requireFreePort(appPort, "FOURFOLD_APP_PORT");

  step("compiling the contracts");
  // The profile Ignition deploys with, so the deploy step finds everything compiled.
  await hardhat("build", ["build", "--build-profile", "production", "--no-tests", "--quiet"]);

  step(`starting the chain on ${rpcUrl}`);
  const chain = await startService({
    name: "chain",
    command: process.execPath,
    args: [HARDHAT, "node", "--hostname", "127.0.0.1", "--port", String(port)],
    cwd: ROOT,
    logFile: path.join(LOGS, "chain.log"),
  });
  services.push(chain);
  const chainId = await waitFor("the chain", () => rpcChainId(rpcUrl), {
    timeoutMs: 30_000,
    abort: chain.exited,
  }).catch(async (error: Error) => {
    throw new StartError(`${error.message}; the end of ${chain.logFile}:\n${await tail(chain.logFile)}`);
  });
  if (chainId !== LOCAL_CHAIN_ID)
    throw new StartError(`the chain answers with chain id ${chainId}, not ${LOCAL_CHAIN_ID}`);

  // A new chain each time: the previous run's deployment record describes a chain that is gone.
  step("deploying with Ignition (deploy/modules/Fourfold.ts)");
  await rm(path.join(ROOT, "deploy", "deployments", `chain-${LOCAL_CHAIN_ID}`), { recursive: true, force: true });
  await hardhat(
    "deploy",
    [
      "ignition",
      "deploy",
      "deploy/modules/Fourfold.ts",
      "--network",
      "localhost",
      "--parameters",
      "deploy/parameters/localhost.json",
    ],
    { FOURFOLD_RPC_PORT: String(port) },
  );

  step("writing generated/ (ABIs and addresses)");
  const { deployments } = await codegen({
    artifactsDir: path.join(ROOT, "artifacts"),
    deploymentsDir: path.join(ROOT, "deploy", "deployments"),
    outDir: path.join(ROOT, "generated", "src"),
  });
  const local = deployments[LOCAL_CHAIN_ID];
  if (local === undefined) throw new StartError("the deployment left no record for the local chain");

  let indexerUrl: string | undefined;
  if (indexerPort !== undefined) {
    step("starting the indexer (Ponder on PGlite)");
    // A new chain each time: the indexer's data describes the chain that is gone.
    await rm(INDEXER_DATA, { recursive: true, force: true });
    const indexer = await startService({
      name: "indexer",
      command: process.execPath,
      args: [PONDER, "start", "--schema", "fourfold", "--port", String(indexerPort), "--hostname", "127.0.0.1"],
      cwd: path.join(ROOT, "indexer"),
      env: {
        PONDER_TELEMETRY_DISABLED: "1",
        FOURFOLD_CHAIN_ID: String(LOCAL_CHAIN_ID),
        [`PONDER_RPC_URL_${LOCAL_CHAIN_ID}`]: rpcUrl,
        FOURFOLD_INDEXER_PGLITE_DIR: path.join(INDEXER_DATA, "pglite"),
      },
      logFile: path.join(LOGS, "indexer.log"),
    });
    services.push(indexer);
    indexerUrl = `http://127.0.0.1:${indexerPort}`;
    await waitFor("the indexer", () => answers(`${indexerUrl}/ready`), {
      timeoutMs: 120_000,
      abort: indexer.exited,
    }).catch(async (error: Error) => {
      throw new StartError(`${error.message}; the end of ${indexer.logFile}:\n${await tail(indexer.logFile)}`);
    });
  }

  let appUrl: string | undefined;
  if (appPort !== undefined && indexerUrl !== undefined) {
    if (await appBuildIsCurrent()) {
      step("the dApp is built (its sources have not changed)");
    } else {
      step("building the dApp (next build)");
      const build = await startService({
        name: "app-build",
        ...nextBuild,
        env: { NEXT_TELEMETRY_DISABLED: "1" },
        logFile: path.join(LOGS, "app-build.log"),
      });
      services.push(build);
      const code = await build.exited;
      services.splice(services.indexOf(build), 1);
      if (code !== 0) {
        throw new StartError(
          `next build failed (exit ${code}); the end of ${build.logFile}:\n${await tail(build.logFile)}`,
        );
      }
      await stampAppBuild();
    }
    step("starting the dApp");
    const app = await startService({
      name: "app",
      ...nextStart(appPort),
      env: {
        NEXT_TELEMETRY_DISABLED: "1",
        FOURFOLD_CHAIN_ID: String(LOCAL_CHAIN_ID),
        FOURFOLD_RPC_URL: rpcUrl,
        FOURFOLD_INDEXER_URL: indexerUrl,
        FOURFOLD_DEPLOYMENTS_DIR: path.join(ROOT, "deploy", "deployments"),
        FOURFOLD_BLOBS_DIR: BLOBS,
      },
      logFile: path.join(LOGS, "app.log"),
      group: true,
    });
    services.push(app);
    appUrl = `http://127.0.0.1:${appPort}`;
    await waitFor("the dApp", () => answers(`${appUrl}/`), { timeoutMs: 60_000, abort: app.exited }).catch(
      async (error: Error) => {
        throw new StartError(`${error.message}; the end of ${app.logFile}:\n${await tail(app.logFile)}`);
      },
    );
  }

  step("the local Fourfold grid is up");
  console.log(`\nChain ${LOCAL_CHAIN_ID} at ${rpcUrl}`);
  for (const [name, { address, startBlock }] of Object.entries(local)) {
    console.log(`  ${name.padEnd(20)} ${address}  (block ${startBlock})`);
  }
  if (indexerUrl !== undefined) {
    console.log(`\nIndexer GraphQL at ${indexerUrl}/graphql (REST: ${indexerUrl}/nodes, /stats; see docs/indexer.md)`);
  }
  if (appUrl !== undefined) {
    console.log(`dApp at ${appUrl} (connect the burner wallet: no extension needed on this chain; see docs/app.md)`);
  }
  console.log(
    "\nAccount #0 (0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266) holds the 100,000,000 FOLD genesis supply and is the\n" +
      "admin. Hardhat's published test keys fund accounts #0-#19 with 10,000 ETH each, on this local chain only.\n" +
      `Logs: ${path.relative(process.cwd(), LOGS)}/. Press Ctrl-C to stop.`,
  );

  // Whichever service stops by itself stops the grid.
  const [stopped, code] = await Promise.race(services.map((s) => s.exited.then((c) => [s, c] as const)));
  if (!stopping) {
    console.error(
      `\nthe ${stopped.name} stopped by itself (${code}); the end of ${stopped.logFile}:\n${await tail(stopped.logFile)}`,
    );
    await stopAll();
    process.exit(1);
  }
}

process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));

try {
  await main();
} catch (error) {
  // After Ctrl-C, a step that was stopped midway fails here; shutdown() is already stopping the rest.
  if (!stopping) {
    await stopAll();
    if (error instanceof StartError || error instanceof CodegenError) {
      console.error(`npm start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
