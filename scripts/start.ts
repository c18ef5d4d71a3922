// `npm start`: the local Fourfold grid. Compiles the contracts, starts a Hardhat chain on 127.0.0.1, deploys every
// contract with the Ignition module, writes generated/ (ABIs and addresses), seeds the demo (scripts/lib/demo.ts:
// farms, nodes, datasets, models, workers, users) and starts its processes (a node agent per node, two inference
// workers, the data owner's keys role), starts the indexer (Ponder on PGlite in .fourfold/indexer/), builds the dApp
// if its sources changed and serves it, waits until the indexer sees every demo node online, prints the URLs and
// accounts, and keeps running until Ctrl-C, when it stops everything it started. Every process but the chain is
// supervised: one that dies (a crash, kill -9) is restarted with capped backoff (1 s, 2 s, 4 s ... 30 s) and picks up
// from its state directory, and only the chain's death stops the grid. The chain is new each time, so the demo's and
// the indexer's state is replaced each time. Each process logs to .fourfold/logs/ (a restart adds to its log).
//
// Settings (environment):
//   FOURFOLD_RPC_PORT       the chain's JSON-RPC port on 127.0.0.1 (default 8545)
//   FOURFOLD_INDEXER_PORT   the indexer's HTTP port on 127.0.0.1 (default 42069)
//   FOURFOLD_APP_PORT       the dApp's HTTP port on 127.0.0.1 (default 3000)
//   FOURFOLD_WORKER_PORT    the first inference worker's HTTP port (outputs, /metrics); the second uses the next one
//                           (default 9470)
//   FOURFOLD_STATE_DIR      where state and logs go (default .fourfold/ here); the chain's deployment record and
//                           generated/ stay in the repository
// Flags:
//   --chain-only            the chain and the deployment only (what tests that need a chain run)
//   --no-demo               no demo data or demo processes: an empty grid
import { rm } from "node:fs/promises";
import path from "node:path";
import { appBuildIsCurrent, nextBuild, nextStart, stampAppBuild } from "./lib/app-build.ts";
import { CodegenError, codegen } from "./lib/codegen.ts";
import type { Demo } from "./lib/demo.ts";
import {
  assertPortFree,
  rpcChainId,
  type Service,
  type ServiceOptions,
  type Supervised,
  startService,
  supervise,
  tail,
  waitFor,
} from "./lib/processes.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const HARDHAT = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
/** Where the grid keeps its state and logs: FOURFOLD_STATE_DIR, or .fourfold/ in the repository. */
const STATE = path.resolve(process.env.FOURFOLD_STATE_DIR ?? path.join(ROOT, ".fourfold"));
const LOGS = path.join(STATE, "logs");
const PONDER = path.join(ROOT, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");
const INDEXER_DATA = path.join(STATE, "indexer");
const BLOBS = path.join(STATE, "blobs");
const DEMO = path.join(STATE, "demo");
const DATASET_KEYS = path.join(STATE, "dataset-keys");
const WORKER = path.join(ROOT, "worker", "src", "main.ts");
const FLAGS = ["--chain-only", "--no-demo"];
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

/** Stops every service: all but the chain at once (each within its grace period), then the chain. */
async function stopAll(): Promise<void> {
  const chain = services.find((service) => service.name === "chain");
  await Promise.all(services.filter((service) => service !== chain).map((service) => service.stop()));
  await chain?.stop();
}

/** `next build` of the dApp, its sources stamped once it succeeds. */
async function buildApp(): Promise<void> {
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

/** Starts a service that is restarted whenever it dies, saying so each time. */
async function startSupervised(options: ServiceOptions): Promise<Supervised> {
  const service = await supervise(options, (code, restartInMs, restarts) => {
    if (stopping) return;
    console.error(
      `the ${options.name} stopped by itself (${code}); restarting it in ${restartInMs / 1000} s ` +
        `(restart ${restarts}; its log: ${path.relative(process.cwd(), options.logFile)})`,
    );
  });
  services.push(service);
  return service;
}

/** Starts `npm run worker -- <args>` as the supervised service `name`. */
function startWorker(name: string, args: string[]): Promise<Supervised> {
  return startSupervised({
    name,
    command: process.execPath,
    args: [WORKER, ...args],
    cwd: ROOT,
    logFile: path.join(LOGS, `${name}.log`),
  });
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
  const unknown = process.argv.slice(2).filter((arg) => !FLAGS.includes(arg));
  if (unknown.length > 0) throw new StartError(`unknown argument ${unknown[0]} (the flags are ${FLAGS.join(", ")})`);
  const demo = !chainOnly && !process.argv.includes("--no-demo");
  const port = readPort("FOURFOLD_RPC_PORT", 8545);
  const indexerPort = chainOnly ? undefined : readPort("FOURFOLD_INDEXER_PORT", 42_069);
  const appPort = chainOnly ? undefined : readPort("FOURFOLD_APP_PORT", 3_000);
  const workerPort = demo ? readPort("FOURFOLD_WORKER_PORT", 9_470) : undefined;
  if (workerPort === 65_535) throw new StartError("FOURFOLD_WORKER_PORT: the second worker needs the next port too");
  const rpcUrl = `http://127.0.0.1:${port}`;
  await requireFreePort(port, "FOURFOLD_RPC_PORT");
  if (indexerPort !== undefined) await requireFreePort(indexerPort, "FOURFOLD_INDEXER_PORT");
  if (appPort !== undefined) await requireFreePort(appPort, "FOURFOLD_APP_PORT");
  if (workerPort !== undefined) {
    await requireFreePort(workerPort, "FOURFOLD_WORKER_PORT");
    await requireFreePort(workerPort + 1, "FOURFOLD_WORKER_PORT");
  }

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
    sourcesRoot: ROOT,
  });
  const local = deployments[LOCAL_CHAIN_ID];
  if (local === undefined) throw new StartError("the deployment left no record for the local chain");

  // The dApp's build needs generated/ (the ABIs) but neither the demo nor the indexer, so it runs beside them.
  let appBuild: Promise<void> | undefined;
  if (appPort !== undefined) {
    if (await appBuildIsCurrent()) {
      step("the dApp is built (its sources have not changed)");
    } else {
      step("building the dApp (next build), beside the next steps");
      appBuild = buildApp();
      appBuild.catch(() => {}); // awaited (and so reported) before the dApp starts
    }
  }

  let seeded: Demo | undefined;
  const workerUrls: string[] = [];
  const inferenceWorkers: Supervised[] = [];
  if (demo && appPort !== undefined && workerPort !== undefined) {
    step("seeding the demo: 3 farms, 12 nodes, 2 datasets, 2 models, 2 workers, 2 users");
    await rm(DEMO, { recursive: true, force: true });
    // Imported now: the seed reads the deployment codegen has just written.
    const { seedDemo } = await import("./lib/demo.ts");
    const appUrl = `http://127.0.0.1:${appPort}`;
    seeded = await seedDemo({
      rpcUrl,
      dir: DEMO,
      blobsDir: BLOBS,
      blobUrl: (hash) => `${appUrl}/api/blobs/${hash}`,
      keyStoreDir: DATASET_KEYS,
    }).catch((error: Error) => {
      throw new StartError(`seeding the demo failed: ${error.message}`);
    });
    step("starting the demo's node agents, inference workers and keys role");
    const common = ["--rpc-url", rpcUrl];
    for (const [i, node] of seeded.nodes.entries()) {
      await startWorker(`node-${i + 1}`, [
        "node",
        ...common,
        "--config",
        node.configFile,
        "--key-file",
        node.keyFile,
        "--encryption-key-file",
        node.encryptionKeyFile,
        "--state-dir",
        node.stateDir,
      ]);
    }
    for (const [i, worker] of seeded.workers.entries()) {
      const port = workerPort + i;
      inferenceWorkers.push(
        await startWorker(worker.handle, [
          "inference",
          ...common,
          "--key-file",
          worker.keyFile,
          "--models",
          "tesseract,fasttext",
          "--port",
          String(port),
          "--state-dir",
          worker.stateDir,
        ]),
      );
      workerUrls.push(`http://127.0.0.1:${port}`);
    }
    await startWorker("keys", [
      "keys",
      ...common,
      "--key-file",
      seeded.keysRole.keyFile,
      "--key-store",
      DATASET_KEYS,
      "--state-dir",
      seeded.keysRole.stateDir,
    ]);
  }

  let indexerUrl: string | undefined;
  if (indexerPort !== undefined) {
    step("starting the indexer (Ponder on PGlite)");
    // A new chain each time: the indexer's data describes the chain that is gone.
    await rm(INDEXER_DATA, { recursive: true, force: true });
    const indexer = await startSupervised({
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
    indexerUrl = `http://127.0.0.1:${indexerPort}`;
    await waitFor("the indexer", () => answers(`${indexerUrl}/ready`), {
      timeoutMs: 120_000,
      abort: indexer.crashed,
    }).catch(async (error: Error) => {
      throw new StartError(`${error.message}; the end of ${indexer.logFile}:\n${await tail(indexer.logFile)}`);
    });
  }

  let appUrl: string | undefined;
  if (appPort !== undefined && indexerUrl !== undefined) {
    if (appBuild !== undefined) {
      step("waiting for the dApp's build");
      await appBuild;
    }
    step("starting the dApp");
    const app = await startSupervised({
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
    appUrl = `http://127.0.0.1:${appPort}`;
    await waitFor("the dApp", () => answers(`${appUrl}/`), { timeoutMs: 60_000, abort: app.crashed }).catch(
      async (error: Error) => {
        throw new StartError(`${error.message}; the end of ${app.logFile}:\n${await tail(app.logFile)}`);
      },
    );
  }

  if (seeded !== undefined && indexerUrl !== undefined) {
    const count = seeded.nodes.length;
    step(`waiting for the demo's ${count} nodes to be online and its workers to be ready`);
    await waitFor(
      `the indexer seeing ${count} nodes online`,
      async () => {
        const response = await fetch(`${indexerUrl}/nodes?online=true&limit=1`, { signal: AbortSignal.timeout(2_000) });
        const body = (await response.json()) as { total?: number };
        return body.total === count ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    ).catch((error: Error) => {
      throw new StartError(`${error.message}; the node agents log to ${path.relative(process.cwd(), LOGS)}/node-*.log`);
    });
    for (const [i, url] of workerUrls.entries()) {
      const worker = inferenceWorkers[i];
      await waitFor(`the inference worker at ${url}`, () => answers(`${url}/healthz`), {
        timeoutMs: 120_000,
        abort: worker?.crashed,
      }).catch(async (error: Error) => {
        throw new StartError(`${error.message}; the end of ${worker?.logFile}:\n${await tail(worker?.logFile ?? "")}`);
      });
    }
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
  if (indexerUrl !== undefined) {
    console.log(`Metrics: ${[`${indexerUrl}/metrics`, ...workerUrls.map((url) => `${url}/metrics`)].join(", ")}`);
  }
  if (seeded !== undefined) printDemo(seeded);
  console.log(
    "\nAccount #0 (0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266) holds the 100,000,000 FOLD genesis supply and is the\n" +
      "admin. Hardhat's published test keys fund accounts #0-#19 with 10,000 ETH each, on this local chain only.\n" +
      `Logs: ${path.relative(process.cwd(), LOGS)}/. Press Ctrl-C to stop.`,
  );

  // The others are restarted when they die; the chain's death ends the grid (its state is gone with it).
  const code = await chain.exited;
  if (!stopping) {
    console.error(
      `\nthe chain stopped by itself (${code}), and every process of the grid with it; the end of ${chain.logFile}:\n` +
        (await tail(chain.logFile)),
    );
    await stopAll();
    process.exit(1);
  }
}

/** What the demo holds, and the accounts a newcomer can use. */
function printDemo(demo: Demo): void {
  console.log("\nDemo grid");
  const farms = [...new Set(demo.nodes.map((n) => n.farm))];
  for (const farm of farms) {
    const ids = demo.nodes.filter((n) => n.farm === farm).map((n) => `#${n.id}`);
    console.log(`  farm ${farm.padEnd(10)} nodes ${ids.join(", ")}`);
  }
  for (const model of demo.models)
    console.log(`  model #${model.id} ${model.name}, served by ${demo.workers.length} workers`);
  for (const dataset of demo.datasets) {
    console.log(`  dataset #${dataset.id} ${dataset.name}${dataset.autoApprove ? ", approved automatically" : ""}`);
  }
  console.log("  users with 10,000 FOLD (Hardhat's published keys: local chain only):");
  for (const user of demo.users) console.log(`    #${user.index} ${user.address}  key ${user.privateKey}`);
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
