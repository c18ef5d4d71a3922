// The inference role's program: loads its config, models and job store, serves outputs and metrics, and runs the
// role (./role.ts) until it is stopped.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import { connect, defaultConfirmations } from "../chain.ts";
import { ConfigError, loadInferenceConfig } from "../config.ts";
import { stopOnSignals } from "../loop.ts";
import { JobStore } from "./job-store.ts";
import { type InferenceModel, loadModel } from "./models/index.ts";
import { InferenceRole, resolveWorker, WorkerSetupError } from "./role.ts";
import { startServer, WorkerMetrics } from "./server.ts";

/** How a configured model is loaded: `loadModel`, unless a caller substitutes its own (the tests' lying worker). */
export type ModelLoader = typeof loadModel;

/** Runs the inference role as configured by `argv` and `env` until SIGINT or SIGTERM (see ./role.ts). */
export async function runInference(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  load: ModelLoader = loadModel,
): Promise<void> {
  const config = await loadInferenceConfig(argv, env);
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
      const model = await load(spec, { concurrency: file.concurrency, env: config.env });
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
        challenge: file.challenge,
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
