// `npm start`: the local Fourfold grid. Compiles the contracts, starts a Hardhat chain on 127.0.0.1, deploys every
// contract with the Ignition module, writes generated/ (ABIs and addresses), prints the addresses and keeps running
// until Ctrl-C, when it stops everything it started. Each process logs to .fourfold/logs/.
//
// Settings (environment):
//   FOURFOLD_RPC_PORT   the chain's JSON-RPC port on 127.0.0.1 (default 8545)
import { rm } from "node:fs/promises";
import path from "node:path";
import { CodegenError, codegen } from "./lib/codegen.ts";
import { assertPortFree, rpcChainId, type Service, startService, tail, waitFor } from "./lib/processes.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const HARDHAT = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const LOGS = path.join(ROOT, ".fourfold", "logs");
const LOCAL_CHAIN_ID = 31337;
const started = Date.now();

class StartError extends Error {}

function readPort(): number {
  const raw = process.env.FOURFOLD_RPC_PORT ?? "8545";
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new StartError(`FOURFOLD_RPC_PORT must be a port number from 1 to 65535, not "${raw}"`);
  }
  return port;
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
  const port = readPort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  await assertPortFree(port).catch((error: NodeJS.ErrnoException) => {
    throw new StartError(
      error.code === "EADDRINUSE"
        ? `127.0.0.1:${port} is already in use (another \`npm start\`?): stop it, or set FOURFOLD_RPC_PORT to a free port`
        : `cannot listen on 127.0.0.1:${port}: ${error.message}`,
    );
  });

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

  step("the local Fourfold grid is up");
  console.log(`\nChain ${LOCAL_CHAIN_ID} at ${rpcUrl}`);
  for (const [name, { address, startBlock }] of Object.entries(local)) {
    console.log(`  ${name.padEnd(20)} ${address}  (block ${startBlock})`);
  }
  console.log(
    "\nAccount #0 (0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266) holds the 100,000,000 FOLD genesis supply and is the\n" +
      "admin. Hardhat's published test keys fund accounts #0-#19 with 10,000 ETH each, on this local chain only.\n" +
      `Logs: ${path.relative(process.cwd(), LOGS)}/. Press Ctrl-C to stop.`,
  );

  const code = await chain.exited;
  if (!stopping) {
    console.error(
      `\nthe chain stopped by itself (${code}); the end of ${chain.logFile}:\n${await tail(chain.logFile)}`,
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
