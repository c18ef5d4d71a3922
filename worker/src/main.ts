// `npm run worker -- <role> [options]`: the Fourfold worker. Roles: node (the node agent), keys (delivers dataset keys
// to grantees for a data owner), inference (a staked JobMarket worker running models).
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type Logger, pino } from "pino";
import { connect, defaultConfirmations } from "./chain.ts";
import { ConfigError, loadInferenceConfig, loadKeysConfig, loadNodeConfig } from "./config.ts";
import { loadOrCreateKeyPair } from "./crypto/key-file.ts";
import { JobStore } from "./inference/job-store.ts";
import { type InferenceModel, loadModel } from "./inference/models/index.ts";
import { InferenceRole, resolveWorker, WorkerSetupError } from "./inference/role.ts";
import { startServer, WorkerMetrics } from "./inference/server.ts";
import { DatasetKeyStore } from "./keys/key-store.ts";
import { initialKeysState, KeysRole, type KeysState, keysStateSchema } from "./keys/role.ts";
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

async function runInference(argv: readonly string[]): Promise<void> {
  const config = await loadInferenceConfig(argv, process.env);
  const { file } = config;
  const log = pino({ level: config.logLevel, base: { role: "inference", key: config.account.address } });
  const stop = stopOnSignals(log);
  await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  await mkdir(path.join(config.stateDir, "inputs"), { recursive: true });
  const chain = await connect(config.rpcUrl, Math.min(file.pollIntervalMs, 1_000));
  const market = chain.deployment("JobMarket");
  const loaded: InferenceModel[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  try {
    for (const spec of file.models) {
      const model = await loadModel(spec, { concurrency: file.concurrency, env: config.env });
      cleanups.unshift(() => model.close());
      loaded.push(model);
      log.info({ backend: model.backend, modelHash: model.modelHash, runtime: model.runtime }, "model loaded");
    }
    const { workerId, models, unmatched } = await resolveWorker(chain, config.account.address, loaded);
    for (const model of unmatched) {
      log.warn(
        { backend: model.backend, modelHash: model.modelHash },
        "no registered model this worker serves has these weights' hash: not serving it",
      );
    }
    const { store, reset } = await JobStore.open(path.join(config.stateDir, "jobs"), {
      chainId: chain.chain.id,
      jobMarket: market.address,
      startBlock: market.startBlock,
    });
    cleanups.unshift(() => store.close());
    if (reset) log.warn("the job store belonged to another deployment (a restarted local chain?); starting afresh");
    const metrics = new WorkerMetrics();
    let role: InferenceRole | undefined;
    const server = await startServer({
      host: file.host,
      port: file.port,
      store,
      metrics,
      health: () => role?.health() ?? { ok: false, starting: true },
    }).catch((error: Error) => {
      throw new ConfigError(error.message);
    });
    cleanups.unshift(() => server.close());
    log.info({ url: server.url }, "serving outputs, /healthz and /metrics");
    role = new InferenceRole({
      chain,
      account: config.account,
      workerId,
      models,
      store,
      log,
      metrics,
      options: {
        concurrency: file.concurrency,
        pollIntervalMs: file.pollIntervalMs,
        confirmations: BigInt(config.confirmations ?? defaultConfirmations(chain.chain.id)),
        finalize: file.finalize,
        minTimeLeftSeconds: file.minTimeLeftSeconds,
        input: {
          inputDirs: file.inputDirs,
          allowedHosts: file.allowedHosts,
          maxBytes: file.maxInputBytes,
          timeoutMs: file.inputTimeoutMs,
        },
        outputBaseUrl: (file.publicUrl ?? server.url).replace(/\/+$/, ""),
        drainTimeoutMs: 60_000,
      },
    });
    await role.run(stop);
  } catch (error) {
    if (error instanceof WorkerSetupError) throw new ConfigError(error.message);
    throw error;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error) => log.error({ err: error }, "cleanup failed"));
  }
}

/** A signal that aborts on the first SIGINT or SIGTERM. */
function stopOnSignals(log: Logger): AbortSignal {
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log.info({ signal }, "stopping");
      stop.abort();
    });
  }
  return stop.signal;
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  if (role === "node") return runNode(rest);
  if (role === "keys") return runKeys(rest);
  if (role === "inference") return runInference(rest);
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
