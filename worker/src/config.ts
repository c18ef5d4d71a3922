// The worker's configuration, parsed once at start from flags, the environment and the node config file into a
// frozen, typed object. Private keys become viem accounts here. No other file reads process.env.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { type Hex, isAddress, parseUnits } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
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

export interface NodeConfig {
  readonly role: "node";
  readonly rpcUrl: string;
  readonly stateDir: string;
  readonly logLevel: string;
  readonly nodeAccount: PrivateKeyAccount;
  readonly ownerAccount: PrivateKeyAccount | undefined;
  readonly encryptionKeyFile: string;
  readonly file: NodeFileConfig;
  /** What workloads inherit from the agent's environment. */
  readonly childEnv: Readonly<Record<string, string>>;
}

const USAGE = `usage: npm run worker -- node --config <node.json> --key-file <node key file> [--owner-key-file <file>]
       [--encryption-key-file <file>] [--rpc-url <url>] [--state-dir <dir>] [--log-level <level>]`;

async function readKey(file: string, flag: string): Promise<PrivateKeyAccount> {
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

  let fileText: string;
  try {
    fileText = await readFile(values.config, "utf8");
  } catch (error) {
    throw new ConfigError(`--config ${values.config}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(fileText);
  } catch (error) {
    throw new ConfigError(`--config ${values.config}: not JSON (${(error as Error).message})`);
  }
  const file = nodeFileSchema.safeParse(json);
  if (!file.success) {
    const issue = file.error.issues[0];
    throw new ConfigError(`--config ${values.config}: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }

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
  const nodeAccount = await readKey(values["key-file"], "--key-file");
  const ownerFile = values["owner-key-file"];
  const ownerAccount = ownerFile === undefined ? undefined : await readKey(ownerFile, "--owner-key-file");
  const stateDir = path.resolve(values["state-dir"] ?? path.join(".fourfold", `node-${nodeAccount.address}`));
  const existing = await stat(stateDir).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory())
    throw new ConfigError(`--state-dir ${stateDir} is not a directory`);

  const childEnv: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "LANG", "TZ"]) {
    const value = env[name];
    if (value !== undefined) childEnv[name] = value;
  }
  return Object.freeze({
    role: "node",
    rpcUrl,
    stateDir,
    logLevel,
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
