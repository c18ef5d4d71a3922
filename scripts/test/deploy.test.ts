// `npm run deploy` rehearsed: a second local chain set up like a testnet (chain id 31338, the `rehearsal` network of
// hardhat.config.ts), a deploying key that is none of Hardhat's published ones, kept in Hardhat's keystore (the
// development keystore, in a configuration directory of the test's own), and the same commands docs/deploy.md gives
// for a testnet. The deployment lands on the chain, in Ignition's record and in generated/; bad networks are refused.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { createPublicClient, createWalletClient, http, parseEther, zeroHash } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import FourfoldModule from "../../deploy/modules/Fourfold.ts";
import { devAccount } from "../../worker/src/dev-accounts.ts";
import { codegen } from "../lib/codegen.ts";
import { rpcChainId, waitFor } from "../lib/processes.ts";
import { freePort, type Running, runNode } from "./support.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const HARDHAT = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const RECORD = path.join(ROOT, "deploy", "deployments", "chain-31338");
const CHAIN_ID = 31_338;

/** The environment of a deployment run from a terminal: Hardhat skips its keystore on CI, so the CI markers go. */
function terminalEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ["CI", "CONTINUOUS_INTEGRATION", "GITHUB_ACTIONS", "BUILD_NUMBER", "RUN_ID"]) delete env[name];
  return env;
}

/** Runs `command args` in the repository with `input` on stdin; resolves with its exit code and output. */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv, input = "") {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  child.stdin.end(input);
  const [code] = await once(child, "exit");
  return { code: code as number | null, output };
}

describe("npm run deploy (rehearsal on a testnet-like local chain)", { timeout: 240_000 }, () => {
  let chain: Running;
  let rpcUrl: string;
  let configHome: string;

  before(async () => {
    const port = await freePort();
    rpcUrl = `http://127.0.0.1:${port}`;
    chain = runNode(
      [HARDHAT, "node", "--hostname", "127.0.0.1", "--port", String(port), "--chain-id", String(CHAIN_ID)],
      {
        cwd: ROOT,
      },
    );
    await waitFor("the rehearsal chain", () => rpcChainId(rpcUrl), { timeoutMs: 60_000, abort: chain.exited });
    configHome = await mkdtemp(path.join(os.tmpdir(), "fourfold-keystore-"));
  });

  after(async () => {
    chain?.child.kill("SIGTERM");
    await chain?.exited;
    await rm(RECORD, { recursive: true, force: true });
    if (configHome) await rm(configHome, { recursive: true, force: true });
    // generated/ back to the deployments that remain.
    await codegen({
      artifactsDir: path.join(ROOT, "artifacts"),
      deploymentsDir: path.join(ROOT, "deploy", "deployments"),
      outDir: path.join(ROOT, "generated", "src"),
      sourcesRoot: ROOT,
    });
  });

  it("deploys every contract from a key in the keystore, records it for chain 31338 and writes generated/", async () => {
    assert.equal(await rpcChainId(rpcUrl), CHAIN_ID);
    // A fresh deploying key with ETH for gas (from the rehearsal chain's funded account, as a faucet would).
    const key = generatePrivateKey();
    const deployer = privateKeyToAccount(key).address;
    const client = createPublicClient({ transport: http(rpcUrl) });
    const faucet = createWalletClient({ account: devAccount(0), transport: http(rpcUrl) });
    const chain = {
      id: CHAIN_ID,
      name: "rehearsal",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl] } },
    };
    await client.waitForTransactionReceipt({
      hash: await faucet.sendTransaction({ chain, to: deployer, value: parseEther("10") }),
    });

    // docs/deploy.md: the key goes into Hardhat's keystore, then `npm run deploy -- --network <name>`.
    const env = terminalEnv({ XDG_CONFIG_HOME: configHome, REHEARSAL_RPC_URL: rpcUrl });
    const stored = await run(
      process.execPath,
      [HARDHAT, "keystore", "set", "--dev", "REHEARSAL_PRIVATE_KEY"],
      env,
      `${key}\n`,
    );
    assert.equal(stored.code, 0, stored.output);
    assert.doesNotMatch(
      await readFile(path.join(configHome, "hardhat-nodejs", "dev.keystore.json"), "utf8"),
      new RegExp(key.slice(2)),
    );
    const deployed = await run("npm", ["run", "deploy", "--", "--network", "rehearsal", "--yes"], env);
    assert.equal(deployed.code, 0, deployed.output);
    assert.match(deployed.output, /generated\/ now holds the rehearsal deployment \(chain 31338\)/);

    // Ignition's record names every contract of the module; each has code on the chain, and generated/ has it.
    const addresses = JSON.parse(await readFile(path.join(RECORD, "deployed_addresses.json"), "utf8")) as Record<
      string,
      `0x${string}`
    >;
    const names = Object.values(FourfoldModule.results)
      .map((future) => future.contractName)
      .sort();
    assert.deepEqual(
      Object.keys(addresses)
        .map((id) => id.replace("Fourfold#", ""))
        .sort(),
      names,
    );
    const generated = await import(`${pathToFileURL(path.join(ROOT, "generated/src/index.ts")).href}?t=${Date.now()}`);
    for (const [id, address] of Object.entries(addresses)) {
      const name = id.replace("Fourfold#", "");
      assert.equal(generated.deploymentsOn(CHAIN_ID)[name].address, address);
      assert.ok(((await client.getCode({ address })) ?? "0x").length > 2, `no code at ${name}`);
    }
    // The keystore's key deployed it: it holds the genesis FOLD and NodeRegistry's admin role.
    const { abis } = generated;
    assert.equal(
      await client.readContract({
        address: addresses["Fourfold#FoldToken"] as `0x${string}`,
        abi: abis.FoldToken,
        functionName: "balanceOf",
        args: [deployer],
      }),
      100_000_000n * 10n ** 18n,
    );
    assert.equal(
      await client.readContract({
        address: addresses["Fourfold#NodeRegistry"] as `0x${string}`,
        abi: abis.NodeRegistry,
        functionName: "hasRole",
        args: [zeroHash, deployer],
      }),
      true,
    );
    // The rehearsal's parameters: an hour of heartbeat gap, as on a testnet.
    assert.equal(
      await client.readContract({
        address: addresses["Fourfold#NodeRegistry"] as `0x${string}`,
        abi: abis.NodeRegistry,
        functionName: "maxGap",
      }),
      3_600n,
    );

    // Run again, it finds the deployment complete and changes nothing.
    const blocks = await client.getBlockNumber();
    const again = await run("npm", ["run", "deploy", "--", "--network", "rehearsal", "--yes"], env);
    assert.equal(again.code, 0, again.output);
    assert.equal(await client.getBlockNumber(), blocks);
  });

  it("refuses an unknown network, the local chain and a missing --network, before compiling anything", async () => {
    const env = terminalEnv({});
    const unknown = await run("npm", ["run", "--silent", "deploy", "--", "--network", "mainnet"], env);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.output,
      /npm run deploy: there is no network mainnet in hardhat\.config\.ts: one of baseSepolia, rehearsal, sepolia/,
    );
    const local = await run("npm", ["run", "--silent", "deploy", "--", "--network", "localhost"], env);
    assert.match(
      local.output,
      /npm run deploy: localhost is not deployed to with npm run deploy: npm start deploys the local chain/,
    );
    const missing = await run("npm", ["run", "--silent", "deploy"], env);
    assert.match(missing.output, /npm run deploy: --network is required: one of baseSepolia, rehearsal, sepolia/);
    assert.doesNotMatch(unknown.output + local.output + missing.output, /Compiling/);
  });
});
