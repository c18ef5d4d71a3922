// `npm run deploy -- --network <name> [--verify] [--yes]`: deploys Fourfold beyond the local chain. Compiles with the
// production profile, deploys the Ignition module (deploy/modules/Fourfold.ts) with deploy/parameters/<name>.json
// (Ignition asks to confirm the network unless --yes, asks for the keystore's password when a value comes from it,
// and resumes an interrupted deployment),
// verifies the contracts with --verify, and writes generated/ so the indexer, the worker and the dApp find the new
// addresses. Ignition's record, deploy/deployments/chain-<chain id>/, is what to commit.
import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import config from "../hardhat.config.ts";
import { CodegenError, codegen } from "./lib/codegen.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const HARDHAT = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const PARAMETERS = path.join(ROOT, "deploy", "parameters");
/** Networks that are not deployed to with this script: the local chain is `npm start`'s, and the in-process chains
 * are the tests'. */
const NOT_HERE = new Set(["localhost", "hardhat", "default", "hardhatMainnet", "node"]);

class DeployError extends Error {}

/** Runs `hardhat <args>` with this terminal (Ignition and the keystore may ask questions); fails on a non-zero exit. */
function hardhat(args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HARDHAT, ...args], {
      cwd: ROOT,
      stdio: "inherit",
      env: { ...process.env, ...env },
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new DeployError(`hardhat ${args.slice(0, 2).join(" ")} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

async function main(): Promise<void> {
  let values: { network?: string; verify?: boolean; yes?: boolean };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { network: { type: "string" }, verify: { type: "boolean" }, yes: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new DeployError(`${(error as Error).message}\nusage: npm run deploy -- --network <name> [--verify] [--yes]`);
  }
  const deployable = (await readdir(PARAMETERS))
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.replace(/\.json$/, ""))
    .filter((name) => !NOT_HERE.has(name) && config.networks?.[name]?.type === "http");
  const network = values.network;
  if (network === undefined) {
    throw new DeployError(
      `--network is required: one of ${deployable.join(", ")}\nusage: npm run deploy -- --network <name> [--verify] [--yes]`,
    );
  }
  if (NOT_HERE.has(network)) {
    throw new DeployError(`${network} is not deployed to with npm run deploy: npm start deploys the local chain`);
  }
  if (config.networks?.[network]?.type !== "http") {
    throw new DeployError(`there is no network ${network} in hardhat.config.ts: one of ${deployable.join(", ")}`);
  }
  const parameters = path.join(PARAMETERS, `${network}.json`);
  if (
    !(await stat(parameters).then(
      (s) => s.isFile(),
      () => false,
    ))
  ) {
    throw new DeployError(
      `${path.relative(ROOT, parameters)} is missing: the module's parameters for ${network} go there`,
    );
  }

  console.log(`Compiling (production profile)`);
  await hardhat(["build", "--build-profile", "production", "--no-tests", "--quiet"]);
  console.log(`Deploying deploy/modules/Fourfold.ts to ${network} with ${path.relative(ROOT, parameters)}`);
  await hardhat(
    [
      "ignition",
      "deploy",
      "deploy/modules/Fourfold.ts",
      "--network",
      network,
      "--parameters",
      path.relative(ROOT, parameters),
      ...(values.verify ? ["--verify"] : []),
    ],
    values.yes ? { HARDHAT_IGNITION_CONFIRM_DEPLOYMENT: "yes" } : {},
  );
  const { deployments } = await codegen({
    artifactsDir: path.join(ROOT, "artifacts"),
    deploymentsDir: path.join(ROOT, "deploy", "deployments"),
    outDir: path.join(ROOT, "generated", "src"),
    sourcesRoot: ROOT,
  });
  const chainId = config.networks?.[network]?.chainId;
  const deployed = chainId === undefined ? undefined : deployments[chainId];
  console.log(`\ngenerated/ now holds the ${network} deployment${chainId === undefined ? "" : ` (chain ${chainId})`}:`);
  for (const [name, { address, startBlock }] of Object.entries(deployed ?? {})) {
    console.log(`  ${name.padEnd(20)} ${address}  (block ${startBlock})`);
  }
  console.log(
    `\nCommit deploy/deployments/chain-${chainId ?? "<chain id>"}/ and generated/: they are how the indexer, the worker and the dApp find it.`,
  );
}

try {
  await main();
} catch (error) {
  if (error instanceof DeployError || error instanceof CodegenError) {
    console.error(`npm run deploy: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
