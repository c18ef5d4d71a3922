// `npm run worker -- <role> [options]`: the Fourfold worker. Roles: node (the node agent), keys (delivers dataset keys
// to grantees for a data owner), inference (a staked JobMarket worker running models).
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import { connect, defaultConfirmations } from "./chain.ts";
import { ConfigError, loadKeysConfig, loadNodeConfig } from "./config.ts";
import { loadOrCreateKeyPair } from "./crypto/key-file.ts";
import { runInference } from "./inference/run.ts";
import { DatasetKeyStore } from "./keys/key-store.ts";
import { initialKeysState, KeysRole, type KeysState, keysStateSchema } from "./keys/role.ts";
import { stopOnSignals } from "./loop.ts";
import { initialNodeState, NodeAgent, type NodeState, nodeStateSchema } from "./node/agent.ts";
import { ProcessDriver } from "./node/process-driver.ts";
import { JsonStore } from "./store.ts";

const ROLES = ["node", "keys", "inference"] as const;

async function runNode(argv: readonly string[]): Promise<void> {
  const config = await loadNodeConfig(argv, process.env);
  const log = pino({ level: config.logLevel, base: { role: "node", key: config.nodeAccount.address } });
  await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  const chain = await connect(config.rpcUrl, Math.min(config.file.pollIntervalMs, 1_000));
  const market = chain.deployment("LeaseMarket");
  const fresh = initialNodeState(chain.chain.id, market.address, market.startBlock);
  const store = await JsonStore.open<NodeState>(path.join(config.stateDir, "state.json"), nodeStateSchema, fresh);
  const driver = new ProcessDriver({
    agentId: config.nodeAccount.address,
    logDir: path.join(config.stateDir, "deployments"),
    host: config.file.publicHost,
    env: config.childEnv,
    log,
  });
  const saved = store.get();
  if (saved.chainId !== fresh.chainId || saved.leaseMarket.toLowerCase() !== fresh.leaseMarket.toLowerCase()) {
    log.warn(
      {
        saved: { chainId: saved.chainId, leaseMarket: saved.leaseMarket },
        now: { chainId: fresh.chainId, leaseMarket: fresh.leaseMarket },
      },
      "the state belongs to another deployment (a restarted local chain?); starting afresh",
    );
    await driver.reap(Object.keys(saved.leases));
    await store.update((s) => Object.assign(s, fresh, { leases: {} }));
  }
  const encryption = await loadOrCreateKeyPair(config.encryptionKeyFile);
  if (encryption.created) log.info({ file: config.encryptionKeyFile }, "created the farm's X25519 encryption key");

  const agent = new NodeAgent({
    config: config.file,
    chain,
    nodeAccount: config.nodeAccount,
    ownerAccount: config.ownerAccount,
    encryptionSecret: encryption.secretKey,
    encryptionPublic: encryption.publicKey,
    store,
    driver,
    log,
    stateDir: config.stateDir,
  });
  const stop = stopOnSignals(log);
  try {
    await agent.run(stop);
  } finally {
    await driver.stopAll();
  }
}

async function runKeys(argv: readonly string[]): Promise<void> {
  const config = await loadKeysConfig(argv, process.env);
  const log = pino({ level: config.logLevel, base: { role: "keys", key: config.account.address } });
  await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  const chain = await connect(config.rpcUrl, Math.min(config.pollIntervalMs, 1_000));
  const market = chain.deployment("DataMarket");
  const fresh = initialKeysState(chain.chain.id, market.address, market.startBlock);
  const store = await JsonStore.open<KeysState>(path.join(config.stateDir, "state.json"), keysStateSchema, fresh);
  const saved = store.get();
  if (saved.chainId !== fresh.chainId || saved.dataMarket.toLowerCase() !== fresh.dataMarket.toLowerCase()) {
    log.warn(
      { saved: { chainId: saved.chainId, dataMarket: saved.dataMarket }, now: fresh },
      "the state belongs to another deployment (a restarted local chain?); starting afresh",
    );
    await store.update((s) => Object.assign(s, fresh, { waiting: {} }));
  }
  const role = new KeysRole({
    chain,
    account: config.account,
    keys: new DatasetKeyStore(config.keyStoreDir),
    store,
    log,
    options: {
      pollIntervalMs: config.pollIntervalMs,
      retryIntervalMs: config.retryIntervalMs,
      confirmations: BigInt(config.confirmations ?? defaultConfirmations(chain.chain.id)),
    },
  });
  await role.run(stopOnSignals(log));
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  if (role === "node") return runNode(rest);
  if (role === "keys") return runKeys(rest);
  if (role === "inference") return runInference(rest, process.env);
  throw new ConfigError(
    `unknown role ${role ?? "(none)"}: one of ${ROLES.join(", ")}\nusage: npm run worker -- <role> [options]`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`fourfold worker: ${error.message}`);
      process.exit(2);
    }
    console.error("fourfold worker failed:", error);
    process.exit(1);
  },
);
