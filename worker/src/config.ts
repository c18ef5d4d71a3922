// The worker's configuration, parsed once at start from flags, the environment and the node config file into a
// frozen, typed object. Private keys become viem accounts here. No other file reads process.env.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { type Hex, isAddress, parseUnits } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import { modelSpecSchema } from "./inference/models/spec.ts";
import { templatesSchema } from "./node/templates.ts";

/** A configuration problem, reported to the user as one line naming the flag, variable or file at fault. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const address = z.string().refine((value) => isAddress(value), "not an address") as z.ZodType<`0x${string}`>;
const fold = z
  .string()
  .regex(/^\d+(\.\d{1,18})?$/, "a FOLD amount such as 0.01")
  .transform((value) => parseUnits(value, 18))
  .refine((value) => value < 2n ** 96n, "too large");
const count = (max: number) => z.int().min(0).max(max);

/** The node config file (JSON): the farm, the node, and the workload templates the farmer allows. */
export const nodeFileSchema = z.strictObject({
  farm: z.strictObject({
    /** The farm owner's identity handle; registered on first run if it does not exist. */
    handle: z.string(),
    name: z.string().min(1).max(64),
    /** Where lease payments go; the owner's address by default. */
    payout: address.optional(),
  }),
  node: z.strictObject({
    country: z.string().regex(/^[A-Z]{2}$/, "an ISO 3166-1 alpha-2 code such as BE"),
    region: z.string().max(64).default(""),
    /** Overrides what the agent detects (CPU cores, memory, the disk of the state directory; no HDD or GPU). */
    resources: z
      .strictObject({
        cpu: count(65_535),
        memoryMiB: count(2 ** 32 - 1),
        ssdGiB: count(2 ** 32 - 1),
        hddGiB: count(2 ** 32 - 1),
        gpus: count(65_535),
      })
      .partial()
      .default({}),
    /** FOLD per hour for one core, one GiB of memory, of SSD, of HDD, one GPU. */
    prices: z.strictObject({ cpu: fold, memoryGiB: fold, ssdGiB: fold, hddGiB: fold, gpu: fold }),
  }),
  /** Seconds between heartbeats; by default half the registry's maxGap. */
  heartbeatIntervalSeconds: z.int().min(1).max(86_400).optional(),
  pollIntervalMs: z.int().min(50).max(60_000).default(2_000),
  /** Blocks a log must be buried under before the agent acts on it; 0 on the local chain, 3 elsewhere by default. */
  confirmations: z.int().min(0).max(128).optional(),
  /** Seconds between settlements of the node's leases (0: never; tenants and anyone else may settle too). */
  settleIntervalSeconds: z.int().min(0).default(3_600),
  /** Claim the node's farming rewards (to the farm's payout address) once per epoch, when there are any. */
  claimRewards: z.boolean().default(true),
  /** The host name put in endpoints. */
  publicHost: z.string().min(1).default("127.0.0.1"),
  templates: templatesSchema.default({}),
});
export type NodeFileConfig = z.infer<typeof nodeFileSchema>;

/** What every role reads: where the chain is, and how much to log. */
interface CommonConfig {
  readonly rpcUrl: string;
  readonly logLevel: string;
}

export interface NodeConfig extends CommonConfig {
  readonly role: "node";
  readonly stateDir: string;
  readonly nodeAccount: PrivateKeyAccount;
  readonly ownerAccount: PrivateKeyAccount | undefined;
  readonly encryptionKeyFile: string;
  readonly file: NodeFileConfig;
  /** What workloads inherit from the agent's environment. */
  readonly childEnv: Readonly<Record<string, string>>;
}

const USAGE = `usage: npm run worker -- node --config <node.json> --key-file <node key file> [--owner-key-file <file>]
       [--encryption-key-file <file>] [--rpc-url <url>] [--state-dir <dir>] [--log-level <level>]`;

export async function readKey(file: string, flag: string): Promise<PrivateKeyAccount> {
  let text: string;
  try {
    text = (await readFile(file, "utf8")).trim();
  } catch (error) {
    throw new ConfigError(`${flag} ${file}: ${(error as Error).message}`);
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(text))
    throw new ConfigError(`${flag} ${file}: expected a 0x-prefixed 32-byte hex key`);
  return privateKeyToAccount(text as Hex);
}

function commonSettings(values: { "rpc-url"?: string; "log-level"?: string }, env: NodeJS.ProcessEnv): CommonConfig {
  const rpcUrl = values["rpc-url"] ?? env.FOURFOLD_RPC_URL ?? "http://127.0.0.1:8545";
  try {
    const url = new URL(rpcUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
  } catch {
    throw new ConfigError(`--rpc-url / FOURFOLD_RPC_URL: ${rpcUrl} is not an http(s) URL`);
  }
  const logLevel = values["log-level"] ?? env.LOG_LEVEL ?? "info";
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel)) {
    throw new ConfigError(`--log-level / LOG_LEVEL: ${logLevel} is not a pino level`);
  }
  return { rpcUrl, logLevel };
}

/** `--state-dir`, or `.fourfold/<name>`, resolved; it must be a directory if it exists. */
async function stateDirectory(flag: string | undefined, name: string): Promise<string> {
  const stateDir = path.resolve(flag ?? path.join(".fourfold", name));
  const existing = await stat(stateDir).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory())
    throw new ConfigError(`--state-dir ${stateDir} is not a directory`);
  return stateDir;
}

/** A whole-number flag within [min, max], or undefined when absent. */
function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
    throw new ConfigError(`--${name} ${value}: expected a whole number from ${min} to ${max}`);
  }
  return parsed;
}

/** Parses `argv` (without the node and script paths) and `env` into the node role's configuration. */
export async function loadNodeConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<NodeConfig> {
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs(argv);
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.config === undefined) throw new ConfigError(`--config is required\n${USAGE}`);
  if (values["key-file"] === undefined) throw new ConfigError(`--key-file is required\n${USAGE}`);

  const json = await readJsonFile(values.config, "--config");
  const file = nodeFileSchema.safeParse(json);
  if (!file.success) {
    const issue = file.error.issues[0];
    throw new ConfigError(`--config ${values.config}: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }

  const common = commonSettings(values, env);
  const nodeAccount = await readKey(values["key-file"], "--key-file");
  const ownerFile = values["owner-key-file"];
  const ownerAccount = ownerFile === undefined ? undefined : await readKey(ownerFile, "--owner-key-file");
  const stateDir = await stateDirectory(values["state-dir"], `node-${nodeAccount.address}`);

  const childEnv: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "LANG", "TZ"]) {
    const value = env[name];
    if (value !== undefined) childEnv[name] = value;
  }
  return Object.freeze({
    role: "node",
    ...common,
    stateDir,
    nodeAccount,
    ownerAccount,
    encryptionKeyFile: path.resolve(values["encryption-key-file"] ?? path.join(stateDir, "encryption.key")),
    file: Object.freeze(file.data),
    childEnv: Object.freeze(childEnv),
  });
}

function parseNodeArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: "string" },
      "key-file": { type: "string" },
      "owner-key-file": { type: "string" },
      "encryption-key-file": { type: "string" },
      "rpc-url": { type: "string" },
      "state-dir": { type: "string" },
      "log-level": { type: "string" },
    },
  });
}

export interface KeysConfig extends CommonConfig {
  readonly role: "keys";
  readonly stateDir: string;
  /** The dataset owner's key, or one of its Operator keys: it sends `deliverKey`. */
  readonly account: PrivateKeyAccount;
  /** The directory of dataset keys (./keys/key-store.ts). */
  readonly keyStoreDir: string;
  readonly pollIntervalMs: number;
  readonly retryIntervalMs: number;
  /** Undefined: 0 on the local chain, 3 elsewhere (decided once the chain id is known). */
  readonly confirmations: number | undefined;
}

const KEYS_USAGE = `usage: npm run worker -- keys --key-file <owner or Operator key file> [--key-store <dir>] [--rpc-url <url>]
       [--state-dir <dir>] [--poll-interval-ms <ms>] [--retry-interval-seconds <s>] [--confirmations <n>]
       [--log-level <level>]`;

/** Parses `argv` and `env` into the keys role's configuration. */
export async function loadKeysConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<KeysConfig> {
  let values: ReturnType<typeof parseKeysArgs>["values"];
  try {
    values = parseKeysArgs(argv).values;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${KEYS_USAGE}`);
  }
  if (values["key-file"] === undefined) throw new ConfigError(`--key-file is required\n${KEYS_USAGE}`);
  const common = commonSettings(values, env);
  const account = await readKey(values["key-file"], "--key-file");
  const keyStoreDir = path.resolve(
    values["key-store"] ?? env.FOURFOLD_DATASET_KEYS ?? path.join(".fourfold", "dataset-keys"),
  );
  const existing = await stat(keyStoreDir).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory())
    throw new ConfigError(`--key-store / FOURFOLD_DATASET_KEYS ${keyStoreDir} is not a directory`);
  return Object.freeze({
    role: "keys",
    ...common,
    stateDir: await stateDirectory(values["state-dir"], `keys-${account.address}`),
    account,
    keyStoreDir,
    pollIntervalMs: integerFlag("poll-interval-ms", values["poll-interval-ms"], 50, 60_000) ?? 2_000,
    retryIntervalMs: (integerFlag("retry-interval-seconds", values["retry-interval-seconds"], 1, 86_400) ?? 60) * 1_000,
    confirmations: integerFlag("confirmations", values.confirmations, 0, 128),
  });
}

function parseKeysArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      "key-file": { type: "string" },
      "key-store": { type: "string" },
      "rpc-url": { type: "string" },
      "state-dir": { type: "string" },
      "poll-interval-ms": { type: "string" },
      "retry-interval-seconds": { type: "string" },
      confirmations: { type: "string" },
      "log-level": { type: "string" },
    },
  });
}

/** The inference role's config file (JSON); every field is optional, and flags override it. */
export const inferenceFileSchema = z.strictObject({
  /** The models to serve (./inference/models): OCR with tesseract by default. */
  models: z
    .array(modelSpecSchema)
    .min(1)
    .default([{ backend: "tesseract", language: "eng" }]),
  /** Jobs claimed and not yet submitted, at most. */
  concurrency: z.int().min(1).max(64).default(1),
  /** Directories `file:` input URIs may point into (besides <state dir>/inputs). */
  inputDirs: z.array(z.string().min(1)).default([]),
  /** Hosts `http(s):` input URIs may name besides loopback, as a host name or host:port. */
  allowedHosts: z.array(z.string().min(1)).default([]),
  maxInputBytes: z
    .int()
    .min(1)
    .max(1024 ** 3)
    .default(10 * 1024 ** 2),
  inputTimeoutMs: z.int().min(100).max(600_000).default(30_000),
  /** Call finalize on our jobs once their challenge window is over (when our result is the proposed one). */
  finalize: z.boolean().default(true),
  /** Challenge a proposal that contradicts the output this worker computed, posting the bond from the Worker key's
   * FOLD (which it then needs, beside gas): a lying majority loses its collateral to the challenger. */
  challenge: z.boolean().default(true),
  /** Jobs with less time than this left before their deadline are not claimed. */
  minTimeLeftSeconds: z.int().min(0).max(86_400).default(60),
  pollIntervalMs: z.int().min(50).max(60_000).default(1_000),
  confirmations: z.int().min(0).max(128).optional(),
  /** Where the worker's HTTP server (outputs, /healthz, /metrics) listens. */
  host: z.string().min(1).default("127.0.0.1"),
  port: z.int().min(0).max(65_535).default(9470),
  /** The base of output URIs put on-chain; http://<host>:<port> by default. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
});
export type InferenceFileConfig = z.infer<typeof inferenceFileSchema>;

export interface InferenceConfig extends CommonConfig {
  readonly role: "inference";
  readonly stateDir: string;
  /** The Worker key: bound with purpose Worker to a registered JobMarket worker's identity. */
  readonly account: PrivateKeyAccount;
  readonly file: InferenceFileConfig;
  readonly confirmations: number | undefined;
  /** Environment variables the models read (API keys named by the config). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

const INFERENCE_USAGE = `usage: npm run worker -- inference --key-file <Worker key file> [--config <inference.json>]
       [--models tesseract,fasttext] [--concurrency <n>] [--port <port>] [--host <host>] [--public-url <url>]
       [--rpc-url <url>] [--state-dir <dir>] [--log-level <level>]`;

/** Parses `argv` and `env` into the inference role's configuration. */
export async function loadInferenceConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<InferenceConfig> {
  let values: ReturnType<typeof parseInferenceArgs>["values"];
  try {
    values = parseInferenceArgs(argv).values;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${INFERENCE_USAGE}`);
  }
  if (values["key-file"] === undefined) throw new ConfigError(`--key-file is required\n${INFERENCE_USAGE}`);
  const json = values.config === undefined ? {} : await readJsonFile(values.config, "--config");
  const flags: Record<string, unknown> = {};
  if (values.models !== undefined) {
    flags.models = values.models.split(",").map((backend) => ({ backend: backend.trim() }));
  }
  const concurrency = integerFlag("concurrency", values.concurrency, 1, 64);
  if (concurrency !== undefined) flags.concurrency = concurrency;
  const port = integerFlag("port", values.port, 0, 65_535);
  if (port !== undefined) flags.port = port;
  if (values.host !== undefined) flags.host = values.host;
  if (values["public-url"] !== undefined) flags.publicUrl = values["public-url"];
  const parsed = inferenceFileSchema.safeParse({ ...(json as object), ...flags });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") || "(root)";
    const source = values.config === undefined ? "flags" : `--config ${values.config} (or flags)`;
    throw new ConfigError(`${source}: ${where}: ${issue?.message}`);
  }
  const common = commonSettings(values, env);
  const account = await readKey(values["key-file"], "--key-file");
  const stateDir = await stateDirectory(values["state-dir"], `inference-${account.address}`);
  const file = parsed.data;
  return Object.freeze({
    role: "inference",
    ...common,
    stateDir,
    account,
    file: Object.freeze({
      ...file,
      inputDirs: [path.join(stateDir, "inputs"), ...file.inputDirs.map((dir) => path.resolve(dir))],
    }),
    confirmations: file.confirmations,
    env: Object.freeze({ ...env }),
  });
}

async function readJsonFile(file: string, flag: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(`${flag} ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${flag} ${file}: not JSON (${(error as Error).message})`);
  }
}

function parseInferenceArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      "key-file": { type: "string" },
      config: { type: "string" },
      models: { type: "string" },
      concurrency: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "public-url": { type: "string" },
      "rpc-url": { type: "string" },
      "state-dir": { type: "string" },
      "log-level": { type: "string" },
    },
  });
}
