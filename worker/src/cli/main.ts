#!/usr/bin/env node
// `fourfold`: the farmer's and the user's tasks from a terminal, without the browser. Every command signs with the
// key in --key-file (or FOURFOLD_KEY_FILE), talks to the chain at --rpc-url (or FOURFOLD_RPC_URL), checks its
// arguments before sending anything, and prints what it did for people, or as JSON with --json. A refused
// transaction prints the contract's custom error; the exit code is 1 for any failure.
import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { pino } from "pino";
import { BaseError, formatUnits, type Hex } from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { type ActionContext, contractOf } from "../actions/context.ts";
import { approveGrant, grantStatus, PurposeBit, registerDataset, revokeGrant } from "../actions/data.ts";
import { createFarm, nodeStatus, registerNode } from "../actions/farm.ts";
import { ensureIdentity } from "../actions/identity.ts";
import {
  challengeJob,
  checkJob,
  type JobStatus,
  jobOutput,
  jobStatus,
  MAX_INLINE_INPUT,
  requestJob,
} from "../actions/jobs.ts";
import { checkLease, closeLease, leaseStatus, openLease, quoteLease, topUpLease } from "../actions/leases.ts";
import { checkWorker, registerModel, registerWorker } from "../actions/models.ts";
import { connect, revertName } from "../chain.ts";
import { readKey } from "../config.ts";
import { LOCAL_CHAIN_ID } from "../dev-accounts.ts";
import { hashFiles } from "../inference/models/spec.ts";
import { DatasetKeyStore } from "../keys/key-store.ts";
import { PARAM_NAME, paramValue } from "../manifest.ts";
import { decodeRevert, revertWords } from "../revert.ts";
import { describeRewardStanding } from "../rewards.ts";
import { amount, country, datasetName, handle, httpUrl, id, whole } from "./args.ts";

interface GlobalOptions {
  /** Absent: the local grid's (localRpcUrl). */
  rpcUrl?: string;
  keyFile?: string;
  json?: boolean;
}

/** A failure to report as one line (no stack): bad input found after parsing, or a refusal. */
class CliError extends Error {}

const fold = (wei: bigint) => `${formatUnits(wei, 18)} FOLD`;

/** Prints `result` as JSON (bigints as strings) with --json, else the lines `human` makes of it. */
function print<T>(options: GlobalOptions, result: T, human: (result: T) => string[]): void {
  if (options.json) {
    console.log(JSON.stringify(result, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  } else {
    for (const line of human(result)) console.log(line);
  }
}

/** Progress for people, on stderr: never mixed into --json output. */
const progress = (options: GlobalOptions, line: string) => {
  if (!options.json) console.error(line);
};

/** The local grid's chain: 127.0.0.1 on FOURFOLD_RPC_PORT, where `npm start` put it (8545 by default). */
function localRpcUrl(): string {
  const raw = process.env.FOURFOLD_RPC_PORT || "8545";
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65_535) {
    throw new CliError(`FOURFOLD_RPC_PORT must be a port number from 1 to 65535, not "${raw}"`);
  }
  return `http://127.0.0.1:${port}`;
}

async function context(options: GlobalOptions): Promise<ActionContext> {
  const rpcUrl = options.rpcUrl ?? localRpcUrl();
  const chain = await connect(rpcUrl, 500).catch((error: Error) => {
    throw new CliError(`cannot reach the chain at ${rpcUrl}: ${error.message.split("\n")[0]}`);
  });
  return { chain, log: pino({ level: "silent" }) };
}

async function signer(options: GlobalOptions): Promise<PrivateKeyAccount> {
  if (options.keyFile === undefined || options.keyFile === "") {
    throw new CliError(
      "this command signs: pass --key-file <file> (a 0x-prefixed private key) or set FOURFOLD_KEY_FILE",
    );
  }
  return readKey(options.keyFile, "--key-file");
}

/** The key in `file`, or a new one written there (mode 600) when the file does not exist. */
async function keyInFile(file: string, flag: string): Promise<{ account: PrivateKeyAccount; created: boolean }> {
  if (
    await stat(file).then(
      () => true,
      () => false,
    )
  )
    return { account: await readKey(file, flag), created: false };
  const key = generatePrivateKey();
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: "wx" });
  return { account: privateKeyToAccount(key), created: true };
}

/** Stores `bytes` in the blob store of the dApp at `appUrl` (POST /api/blobs); returns the URI it serves them at. */
async function upload(appUrl: string, bytes: Uint8Array, what: string): Promise<string> {
  const response = await fetch(`${appUrl}/api/blobs`, { method: "POST", body: bytes }).catch((error: Error) => {
    throw new CliError(`uploading ${what} to ${appUrl}: ${error.message}`);
  });
  const body = (await response.json().catch(() => ({}))) as { uri?: string; error?: string };
  if (!response.ok || body.uri === undefined) {
    throw new CliError(`uploading ${what} to ${appUrl}: ${body.error ?? `HTTP ${response.status}`}`);
  }
  return body.uri;
}

/** The --upload option: the dApp whose blob store takes what is too large for the chain. */
const uploadOption = (what: string) =>
  new Option("--upload <url>", `the dApp whose blob store takes ${what}`)
    .env("FOURFOLD_APP_URL")
    .default("http://127.0.0.1:3000")
    .argParser(httpUrl);

/** The custom error a contract refused with (whichever contract: revert.ts), in words, or the error's own message. */
function describe(error: unknown): string {
  const revert = decodeRevert(error);
  if (revert !== undefined) return `the contract refused: ${revertWords(revert)}`;
  if (error instanceof BaseError) return error.shortMessage;
  return error instanceof Error ? error.message : String(error);
}

const program = new Command("fourfold")
  .description(
    "Fourfold from a terminal: farms and nodes, leases, datasets and grants, inference jobs (see docs/cli.md)",
  )
  .addOption(
    new Option(
      "--rpc-url <url>",
      "the chain's JSON-RPC URL (default: the local grid's, http://127.0.0.1:<FOURFOLD_RPC_PORT, or 8545>)",
    )
      .env("FOURFOLD_RPC_URL")
      .argParser(httpUrl),
  )
  .addOption(
    new Option("--key-file <file>", "the key that signs: a file holding a 0x private key").env("FOURFOLD_KEY_FILE"),
  )
  .option("--json", "print the result as JSON")
  .showHelpAfterError("(fourfold <command> --help shows its options)")
  .configureOutput({ outputError: (text, write) => write(text) });

const globals = (command: Command) => command.optsWithGlobals<GlobalOptions>();

// ---------------------------------------------------------------------------------------------------------------------
// identity

const identity = program.command("identity").description("identities: a handle that owns farms, jobs and datasets");
identity
  .command("register")
  .description("register a handle for the signing key (nothing is sent when the key holds it already)")
  .argument("<handle>", "3 to 32 of a-z, 0-9 and '-'", handle)
  .action(async (name: string, _: unknown, command: Command) => {
    const options = globals(command);
    const ctx = await context(options);
    const owner = await signer(options);
    const identityId = await ensureIdentity(ctx, owner, name);
    print(options, { identityId, handle: name, owner: owner.address }, (r) => [
      `Identity ${r.identityId} is ${r.handle}, owned by ${r.owner}.`,
    ]);
  });

// ---------------------------------------------------------------------------------------------------------------------
// farm and node

const farm = program.command("farm").description("farms: a farmer's group of nodes, paying out to one address");
farm
  .command("create")
  .description("create a farm for an identity of the signing key (registering the handle if it is new)")
  .argument("<name>", "the farm's name (1 to 64 bytes)")
  .requiredOption("--as <handle>", "the farmer's identity", handle)
  .option("--payout <address>", "where lease payments and rewards go (the signing key's address by default)")
  .action(async (name: string, flags: { as: string; payout?: Hex }, command: Command) => {
    const options = globals(command);
    if (name.length === 0 || Buffer.byteLength(name) > 64) throw new CliError("<name>: 1 to 64 bytes");
    if (flags.payout !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(flags.payout)) {
      throw new CliError("--payout: expected a 0x-prefixed 20-byte address");
    }
    const ctx = await context(options);
    const owner = await signer(options);
    const identityId = await ensureIdentity(ctx, owner, flags.as);
    const farmId = await createFarm(ctx, owner, identityId, name, flags.payout);
    print(options, { farmId, identityId, name, payout: flags.payout ?? owner.address }, (r) => [
      `Farm ${r.farmId} "${r.name}" of ${flags.as} (identity ${r.identityId}) pays out to ${r.payout}.`,
    ]);
  });

const node = program.command("node").description("nodes: machines of a farm, known by their node key");
node
  .command("register")
  .description(
    "register a node of a farm of the signing key: its node key (made here when the file is new) signs its consent",
  )
  .requiredOption("--farm <id>", "the farm", id)
  .requiredOption("--node-key-file <file>", "the node key: read, or made and written there (mode 600) when missing")
  .requiredOption("--country <code>", "where the node is: ISO 3166-1 alpha-2, like NL", country)
  .option("--region <name>", "a region name or geohash (at most 64 bytes)", "")
  .requiredOption("--cpu <cores>", "CPU cores to offer", whole(1, 65_535))
  .requiredOption("--memory-mib <mib>", "memory to offer, in MiB", whole(1, 2 ** 32 - 1))
  .option("--ssd-gib <gib>", "SSD to offer, in GiB", whole(0, 2 ** 32 - 1), 0)
  .option("--hdd-gib <gib>", "HDD to offer, in GiB", whole(0, 2 ** 32 - 1), 0)
  .option("--gpus <n>", "GPUs to offer", whole(0, 65_535), 0)
  .requiredOption("--price-cpu <fold>", "FOLD per core-hour", amount)
  .requiredOption("--price-memory-gib <fold>", "FOLD per GiB-hour of memory", amount)
  .option("--price-ssd-gib <fold>", "FOLD per GiB-hour of SSD", amount, 0n)
  .option("--price-hdd-gib <fold>", "FOLD per GiB-hour of HDD", amount, 0n)
  .option("--price-gpu <fold>", "FOLD per GPU-hour", amount, 0n)
  .option("--fund-eth <eth>", "ETH to send the node key for its heartbeats' gas", amount, 0n)
  .action(async (flags, command: Command) => {
    const options = globals(command);
    if (Buffer.byteLength(flags.region) > 64) throw new CliError("--region: at most 64 bytes");
    const ctx = await context(options);
    const owner = await signer(options);
    const farmRecord = await ctx.chain.publicClient
      .readContract({ ...contractOf(ctx, "NodeRegistry"), functionName: "farm", args: [flags.farm] })
      .catch((error: unknown) => {
        throw revertName(error) === "FarmUnknown" ? new CliError(`there is no farm #${flags.farm}`) : error;
      });
    const key = await keyInFile(flags.nodeKeyFile, "--node-key-file");
    if (key.created) progress(options, `Made a node key ${key.account.address} in ${flags.nodeKeyFile}.`);
    const nodeId = await registerNode(ctx, owner, {
      identityId: farmRecord.identityId,
      farmId: flags.farm,
      key: key.account,
      resources: {
        cpu: flags.cpu,
        memoryMiB: flags.memoryMib,
        ssdGiB: flags.ssdGib,
        hddGiB: flags.hddGib,
        gpus: flags.gpus,
      },
      country: flags.country,
      region: flags.region,
      prices: {
        cpu: flags.priceCpu,
        memoryGiB: flags.priceMemoryGib,
        ssdGiB: flags.priceSsdGib,
        hddGiB: flags.priceHddGib,
        gpu: flags.priceGpu,
      },
    });
    if (flags.fundEth > 0n) {
      const hash = await ctx.chain.walletFor(owner).sendTransaction({ to: key.account.address, value: flags.fundEth });
      await ctx.chain.publicClient.waitForTransactionReceipt({ hash });
    }
    print(options, { nodeId, farmId: flags.farm, key: key.account.address, keyFile: flags.nodeKeyFile }, (r) => [
      `Node ${r.nodeId} of farm ${r.farmId} is registered; its key ${r.key} is in ${r.keyFile}.`,
      `Run its agent (it heartbeats and serves leases): npm run worker -- node --config <node.json> --key-file ${r.keyFile}`,
    ]);
  });

node
  .command("status")
  .description("what the chain says of a node: state, online, capacity, prices, rewards")
  .argument("<id>", "the node", id)
  .action(async (nodeId: bigint, _: unknown, command: Command) => {
    const options = globals(command);
    const status = await nodeStatus(await context(options), nodeId);
    print(options, status, (s) => [
      `Node ${s.nodeId} (farm ${s.farmId}, ${s.country}): ${s.status}, ${s.online ? "online" : "offline"}` +
        (s.secondsSinceHeartbeat === undefined
          ? ", no heartbeat yet"
          : `, last heartbeat ${s.secondsSinceHeartbeat} s ago`),
      `  capacity  ${s.capacity.total.cpu} cores, ${s.capacity.total.memoryMiB} MiB, ${s.capacity.total.ssdGiB} GiB SSD, ${s.capacity.total.hddGiB} GiB HDD, ${s.capacity.total.gpus} GPUs`,
      `  leased    ${s.capacity.leased.cpu} cores, ${s.capacity.leased.memoryMiB} MiB, ${s.capacity.leased.ssdGiB} GiB SSD, ${s.capacity.leased.hddGiB} GiB HDD, ${s.capacity.leased.gpus} GPUs (${s.activeLeases} leases)`,
      `  per hour  ${fold(s.prices.cpu)} a core, ${fold(s.prices.memoryGiB)} a GiB of memory, ${fold(s.prices.ssdGiB)} a GiB of SSD`,
      `  rewards   ${describeRewardStanding(s.rewards)}`,
      `  proven online ${s.onlineSeconds} s; rewards to claim ${fold(s.pendingRewards)}`,
    ]);
  });

// ---------------------------------------------------------------------------------------------------------------------
// lease

/** Adds the options that choose resources (of a lease) to `command`. */
const withResources = (command: Command) =>
  command
    .requiredOption("--cpu <cores>", "CPU cores", whole(0, 65_535))
    .requiredOption("--memory-mib <mib>", "memory, in MiB", whole(0, 2 ** 32 - 1))
    .option("--ssd-gib <gib>", "SSD, in GiB", whole(0, 2 ** 32 - 1), 0)
    .option("--hdd-gib <gib>", "HDD, in GiB", whole(0, 2 ** 32 - 1), 0)
    .option("--gpus <n>", "GPUs", whole(0, 65_535), 0);
const resourcesOf = (flags: { cpu: number; memoryMib: number; ssdGib: number; hddGib: number; gpus: number }) => ({
  cpu: flags.cpu,
  memoryMiB: flags.memoryMib,
  ssdGiB: flags.ssdGib,
  hddGiB: flags.hddGib,
  gpus: flags.gpus,
});

/** `--param name=value`, repeatable: read as the dApp reads its parameter lines (../manifest.ts). */
function param(value: string, previous: Record<string, string | number> = {}): Record<string, string | number> {
  const at = value.indexOf("=");
  const name = at < 0 ? "" : value.slice(0, at);
  if (!PARAM_NAME.test(name)) throw new InvalidArgumentError("expected name=value, like message=hello");
  if (name in previous) throw new InvalidArgumentError(`${name} is given twice`);
  return { ...previous, [name]: paramValue(value.slice(at + 1)) };
}

const printLease = (s: Awaited<ReturnType<typeof leaseStatus>>) => [
  `Lease ${s.leaseId} on node ${s.nodeId}: ${s.state}${s.endReason ? ` (${s.endReason})` : ""}, ${fold(s.perHour)} an hour online`,
  `  escrow ${fold(s.escrow)}, paid ${fold(s.paid)}, due now ${fold(s.due)}${s.refund === undefined ? "" : `, refunded ${fold(s.refund)}`}`,
  ...(s.endpoint ? [`  endpoint ${s.endpoint}`] : []),
];

const lease = program
  .command("lease")
  .description("leases: node capacity, paid only for the time the node proves online");
withResources(
  lease.command("quote").description("what an hour of resources on a node costs now, and the least deposit"),
)
  .requiredOption("--node <id>", "the node", id)
  .action(async (flags, command: Command) => {
    const options = globals(command);
    const quote = await quoteLease(await context(options), flags.node, resourcesOf(flags));
    print(options, quote, (q) => [`${fold(q.perHour)} an hour online; the least deposit is ${fold(q.minDeposit)}.`]);
  });
withResources(
  lease
    .command("open")
    .description(
      "open a lease for an identity of the signing key: the deposit by permit, the manifest sealed to the farm",
    ),
)
  .requiredOption("--node <id>", "the node", id)
  .requiredOption("--as <handle>", "the tenant's identity (registered if it is new)", handle)
  .requiredOption("--hours <h>", "hours of online time to prepay", whole(1, 8_760))
  .requiredOption("--template <name>", "the workload: one of the farm's templates, like http-echo")
  .option("--param <name=value>", "a parameter of the template (repeat it)", param, {})
  .action(async (flags, command: Command) => {
    const options = globals(command);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(flags.template))
      throw new CliError("--template: a template name, like http-echo");
    const ctx = await context(options);
    const tenant = await signer(options);
    const request = { nodeId: flags.node, resources: resourcesOf(flags), hours: flags.hours };
    await checkLease(ctx, request); // before the identity is registered: a lease refused sends nothing
    const tenantId = await ensureIdentity(ctx, tenant, flags.as);
    const opened = await openLease(ctx, tenant, {
      tenantId,
      nodeId: flags.node,
      resources: resourcesOf(flags),
      hours: flags.hours,
      template: flags.template,
      params: flags.param,
    });
    print(options, opened, (r) => [
      `Lease ${r.leaseId} is open: ${fold(r.deposit)} in escrow at ${fold(r.perHour)} an hour online.`,
      `The node's agent acknowledges it and names its endpoint: fourfold lease status ${r.leaseId}`,
    ]);
  });
lease
  .command("status")
  .description("a lease's state, escrow, what it paid and owes, and its endpoint")
  .argument("<id>", "the lease", id)
  .action(async (leaseId: bigint, _: unknown, command: Command) => {
    const options = globals(command);
    print(options, await leaseStatus(await context(options), leaseId), printLease);
  });
lease
  .command("top-up")
  .description("add FOLD to a lease's escrow")
  .argument("<id>", "the lease", id)
  .argument("<fold>", "how much", amount)
  .action(async (leaseId: bigint, value: bigint, _: unknown, command: Command) => {
    const options = globals(command);
    if (value === 0n) throw new CliError("<fold>: more than zero");
    const ctx = await context(options);
    await topUpLease(ctx, await signer(options), leaseId, value);
    print(options, await leaseStatus(ctx, leaseId), printLease);
  });
lease
  .command("close")
  .description("end a lease: the node is paid for its proven online time, the rest comes back")
  .argument("<id>", "the lease", id)
  .action(async (leaseId: bigint, _: unknown, command: Command) => {
    const options = globals(command);
    const ctx = await context(options);
    print(options, await closeLease(ctx, await signer(options), leaseId), printLease);
  });

// ---------------------------------------------------------------------------------------------------------------------
// model and worker

/** `--models 1,2`: model ids. */
function ids(value: string): bigint[] {
  const parts = value.split(",").map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => !/^[1-9]\d{0,30}$/.test(part))) {
    throw new InvalidArgumentError("expected model ids, comma-separated, like 1,2");
  }
  return parts.map((part) => BigInt(part));
}

const model = program.command("model").description("models: weights registered by their sha256, run by workers");
model
  .command("register")
  .description("register a model for an identity of the signing key, by the sha256 of its weights")
  .requiredOption("--as <handle>", "the model owner's identity (registered if it is new)", handle)
  .requiredOption("--name <name>", 'what people call it, like "tesseract eng" (1 to 64 bytes)')
  .requiredOption("--uri <uri>", "where its weights are published")
  .option("--backend <backend>", "hash the weights this worker bundles for a backend: tesseract or fasttext")
  .option("--weights <files...>", "hash these weight files (an ONNX model, say) in this order")
  .option("--owner-fee-bps <bps>", "the owner's share of each job's pay, in basis points", whole(0, 10_000), 0)
  .action(async (flags, command: Command) => {
    const options = globals(command);
    if ((flags.backend === undefined) === (flags.weights === undefined)) {
      throw new CliError("give --backend tesseract|fasttext or --weights <files...>, one of them");
    }
    if (flags.name.length === 0 || Buffer.byteLength(flags.name) > 64) throw new CliError("--name: 1 to 64 bytes");
    let modelHash: Hex;
    // The models' modules load their runtimes: imported only when asked for.
    if (flags.backend === "tesseract")
      modelHash = await (await import("../inference/models/tesseract.ts")).TesseractModel.hash();
    else if (flags.backend === "fasttext")
      modelHash = await (await import("../inference/models/fasttext.ts")).FastTextModel.hash();
    else if (flags.backend !== undefined) throw new CliError(`--backend ${flags.backend}: tesseract or fasttext`);
    else {
      modelHash = await hashFiles(flags.weights).catch((error: Error) => {
        throw new CliError(`--weights: ${error.message}`);
      });
    }
    const ctx = await context(options);
    const owner = await signer(options);
    const ownerId = await ensureIdentity(ctx, owner, flags.as);
    const modelId = await registerModel(ctx, owner, ownerId, {
      modelHash,
      name: flags.name,
      uri: flags.uri,
      ownerFeeBps: flags.ownerFeeBps,
    });
    print(options, { modelId, modelHash, ownerId }, (r) => [
      `Model ${r.modelId} "${flags.name}" is registered with weights sha256 ${r.modelHash}.`,
    ]);
  });

const worker = program.command("worker").description("inference workers: staked identities that run models' jobs");
worker
  .command("register")
  .description("make an identity of the signing key a staked worker, its Worker key (made here when new) bound to it")
  .requiredOption("--as <handle>", "the worker's identity (registered if it is new)", handle)
  .requiredOption("--models <ids>", "the models it serves, comma-separated", ids)
  .requiredOption("--price <fold>", "what it charges per job", amount)
  .requiredOption("--stake <fold>", "FOLD to stake (at least JobMarket's minimum)", amount)
  .requiredOption("--worker-key-file <file>", "the Worker key: read, or made and written there (mode 600) when missing")
  .option("--fund-eth <eth>", "ETH to send the Worker key for its transactions' gas", amount, 0n)
  .action(async (flags, command: Command) => {
    const options = globals(command);
    const ctx = await context(options);
    const owner = await signer(options);
    // Before the identity is registered or a key made: a registration refused sends nothing.
    await checkWorker(ctx, owner.address, { modelIds: flags.models, stake: flags.stake });
    const workerId = await ensureIdentity(ctx, owner, flags.as);
    const key = await keyInFile(flags.workerKeyFile, "--worker-key-file");
    if (key.created) progress(options, `Made a Worker key ${key.account.address} in ${flags.workerKeyFile}.`);
    await registerWorker(ctx, owner, {
      workerId,
      key: key.account,
      modelIds: flags.models,
      pricePerJob: flags.price,
      stake: flags.stake,
    });
    if (flags.fundEth > 0n) {
      const hash = await ctx.chain.walletFor(owner).sendTransaction({ to: key.account.address, value: flags.fundEth });
      await ctx.chain.publicClient.waitForTransactionReceipt({ hash });
    }
    print(options, { workerId, key: key.account.address, keyFile: flags.workerKeyFile }, (r) => [
      `Worker ${r.workerId} (${flags.as}) is staked; its Worker key ${r.key} is in ${r.keyFile}.`,
      `Run it: npm run worker -- inference --key-file ${r.keyFile}`,
    ]);
  });

// ---------------------------------------------------------------------------------------------------------------------
// job

const job = program.command("job").description("inference jobs: a model run by staked workers, settled on-chain");

/** Waits until job `jobId` is final or refunded, printing each change of state; returns its status and output. */
async function waitForJob(ctx: ActionContext, options: GlobalOptions, jobId: bigint, timeoutSeconds: number) {
  const deadline = Date.now() + timeoutSeconds * 1_000;
  let last = "";
  for (;;) {
    const status = await jobStatus(ctx, jobId);
    const line = `job ${jobId}: ${statusLine(status)}`;
    if (line !== last) {
      const until = new Date(status.windowEnds * 1_000).toISOString();
      progress(
        options,
        status.state === "Proposed"
          ? `${line}; the challenge window ends at ${until}`
          : status.state === "Revealing"
            ? `${line}; reveals are due by ${until}`
            : line,
      );
      last = line;
    }
    if (status.state === "Final") {
      const output = await jobOutput(ctx, jobId);
      return { ...status, outputHash: output.hash, output: new TextDecoder().decode(output.bytes) };
    }
    if (status.state === "Refunded" || status.state === "Unresolved") {
      return { ...status, outputHash: undefined, output: undefined };
    }
    if (Date.now() > deadline) throw new CliError(`job ${jobId} is still ${status.state} after ${timeoutSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** A job's state, its workers' progress and its round's, in a line. */
function statusLine(s: JobStatus): string {
  const line = `${s.state}, ${s.committed} of ${s.redundancy} committed, ${s.revealed} revealed`;
  const round = s.round;
  if (round === undefined) return line;
  const who = /^0x0{40}$/.test(round.challenger) ? "no majority" : `challenged by ${round.challenger}`;
  const committee = round.drawn
    ? `committee ${round.committed} of ${round.size} committed, ${round.revealed} revealed`
    : `committee drawn from block ${round.drawBlock}`;
  return `${line}; ${who}; ${committee}`;
}

const printJob = (r: Awaited<ReturnType<typeof waitForJob>>) =>
  r.state === "Final"
    ? [`Job ${r.jobId} is final; its output (sha256 ${r.outputHash}):`, r.output ?? ""]
    : r.state === "Unresolved"
      ? [
          `Job ${r.jobId} is Unresolved: no output could be decided; the workers who revealed were paid, the rest refunded.`,
        ]
      : [`Job ${r.jobId} is ${r.state}: no worker result became final, and the fee was refunded.`];

job
  .command("request")
  .description("request a job for an identity of the signing key, paying up to --max-fee per worker")
  .requiredOption("--model <id>", "the model", id)
  .requiredOption("--as <handle>", "the requester's identity (registered if it is new)", handle)
  .option("--input <file>", "the input file (an image for OCR, text for language ID)")
  .option("--text <text>", "the input as text")
  .option("--input-uri <uri>", "where workers fetch an input over 4,096 bytes (its sha256 goes on-chain)")
  .addOption(uploadOption("an input over 4,096 bytes, unless --input-uri"))
  .option("--workers <k>", "how many workers must agree", whole(1, 5), 1)
  .requiredOption("--max-fee <fold>", "the most each worker is paid", amount)
  .option("--hours <h>", "hours until the job expires unfinished (and is refunded)", whole(1, 720), 2)
  .option("--wait", "wait until it is final (or refunded) and print its output")
  .option("--timeout <seconds>", "with --wait: give up after this long", whole(1, 604_800), 3_900)
  .action(async (flags, command: Command) => {
    const options = globals(command);
    if ((flags.input === undefined) === (flags.text === undefined))
      throw new CliError("give --input <file> or --text <text>, one of them");
    const input =
      flags.text !== undefined
        ? new TextEncoder().encode(flags.text)
        : new Uint8Array(
            await readFile(flags.input).catch((error: Error) => {
              throw new CliError(`--input ${flags.input}: ${error.message}`);
            }),
          );
    if (input.length === 0) throw new CliError("the input is empty");
    const ctx = await context(options);
    const requester = await signer(options);
    // Before the input is uploaded or the identity registered: a job no worker could take sends nothing.
    await checkJob(ctx, requester.address, {
      modelId: flags.model,
      redundancy: flags.workers,
      maxFeePerWorker: flags.maxFee,
    });
    let inputUri: string | undefined = flags.inputUri;
    if (input.length > MAX_INLINE_INPUT && inputUri === undefined) {
      inputUri = await upload(flags.upload, input, "the input");
      progress(options, `Uploaded the input (${input.length} bytes) to ${inputUri}.`);
    }
    const requesterId = await ensureIdentity(ctx, requester, flags.as);
    const jobId = await requestJob(ctx, requester, {
      requesterId,
      modelId: flags.model,
      input,
      inputUri,
      redundancy: flags.workers,
      maxFeePerWorker: flags.maxFee,
      deadlineSeconds: flags.hours * 3_600,
    });
    if (!flags.wait) {
      print(options, { jobId, escrow: BigInt(flags.workers) * flags.maxFee }, (r) => [
        `Job ${r.jobId} is requested, ${fold(r.escrow)} in escrow. Follow it: fourfold job wait ${r.jobId}`,
      ]);
      return;
    }
    progress(options, `Job ${jobId} is requested.`);
    print(options, await waitForJob(ctx, options, jobId, flags.timeout), printJob);
  });

job
  .command("wait")
  .description("wait until a job is final (or refunded) and print its output")
  .argument("<id>", "the job", id)
  .option("--timeout <seconds>", "give up after this long", whole(1, 604_800), 3_900)
  .action(async (jobId: bigint, flags: { timeout: number }, command: Command) => {
    const options = globals(command);
    print(options, await waitForJob(await context(options), options, jobId, flags.timeout), printJob);
  });

job
  .command("status")
  .description("a job's state as the chain has it")
  .argument("<id>", "the job", id)
  .action(async (jobId: bigint, _: unknown, command: Command) => {
    const options = globals(command);
    print(options, await jobStatus(await context(options), jobId), (s) => [`Job ${s.jobId}: ${statusLine(s)}`]);
  });

job
  .command("challenge")
  .description("challenge a job's proposed result, posting the bond: a committee of workers re-runs the job")
  .argument("<id>", "the job", id)
  .action(async (jobId: bigint, _: unknown, command: Command) => {
    const options = globals(command);
    const ctx = await context(options);
    const result = await challengeJob(ctx, await signer(options), jobId);
    print(options, { jobId, ...result }, (r) => [
      `Challenged job ${r.jobId} with a bond of ${fold(r.bond)}. A committee is drawn from block ${r.drawBlock} and re-runs it;`,
      `the bond comes back with a share of the liars' collateral if its verdict overturns the result. Follow it: fourfold job wait ${r.jobId}`,
    ]);
  });

// ---------------------------------------------------------------------------------------------------------------------
// dataset and grant

/** `--purposes training,inference`: DataMarket's purpose bits. */
function purposes(value: string): number {
  const bitOf: Record<string, number> = {
    training: PurposeBit.Training,
    inference: PurposeBit.Inference,
    analytics: PurposeBit.Analytics,
  };
  let bits = 0;
  for (const name of value.split(",").map((p) => p.trim().toLowerCase())) {
    const bit = bitOf[name];
    if (bit === undefined) {
      throw new InvalidArgumentError("expected purposes from training, inference, analytics, comma-separated");
    }
    bits |= bit;
  }
  return bits;
}

const keyStoreOption = () =>
  new Option("--key-store <dir>", "the data owner's dataset keys, one file per content (keep it private)")
    .env("FOURFOLD_DATASET_KEYS")
    .default(".fourfold/dataset-keys");

const dataset = program.command("dataset").description("datasets: encrypted data sold as time-limited, metered grants");
dataset
  .command("register")
  .description("encrypt a file with its own key (kept in --key-store), upload the ciphertext, and register the dataset")
  .requiredOption("--file <path>", "the dataset's file (at most 4 MiB once encrypted)")
  .requiredOption("--name <name>", "what the market lists it as (1 to 64 bytes)", datasetName)
  .requiredOption("--as <handle>", "the owner's identity (registered if it is new)", handle)
  .requiredOption("--price-per-day <fold>", "FOLD per day of access", amount)
  .option("--price-per-use <fold>", "FOLD per recorded use", amount, 0n)
  .requiredOption("--max-days <n>", "the longest grant, in days", whole(1, 365))
  .requiredOption("--purposes <list>", "what grantees may use it for: training, inference, analytics", purposes)
  .requiredOption("--licence <text>", "what a grantee may do with the data (its keccak256 goes on-chain)")
  .option("--auto-approve", "grant requests without the owner's approval (run the keys role to deliver the key)")
  .addOption(keyStoreOption())
  .addOption(uploadOption("the encrypted file, unless --out and --uri"))
  .option("--out <file>", "write the encrypted file here instead of uploading it (with --uri)")
  .option("--uri <uri>", "where you serve the file written to --out: grantees fetch it there")
  .action(async (flags, command: Command) => {
    const options = globals(command);
    if (flags.licence.trim() === "") throw new CliError("--licence: say what a grantee may do with the data");
    if ((flags.out === undefined) !== (flags.uri === undefined)) {
      throw new CliError("--out and --uri go together: the file you write, and where you serve it");
    }
    const plaintext = new Uint8Array(
      await readFile(flags.file).catch((error: Error) => {
        throw new CliError(`--file ${flags.file}: ${error.message}`);
      }),
    );
    if (plaintext.length === 0) throw new CliError(`--file ${flags.file}: the file is empty`);
    const ctx = await context(options);
    const owner = await signer(options);
    const ownerId = await ensureIdentity(ctx, owner, flags.as);
    const registered = await registerDataset(ctx, owner, {
      ownerId,
      name: flags.name,
      plaintext,
      terms: {
        pricePerDay: flags.pricePerDay,
        pricePerUse: flags.pricePerUse,
        maxDuration: flags.maxDays * 86_400,
        purposes: flags.purposes,
        autoApprove: flags.autoApprove === true,
        licence: flags.licence,
      },
      keys: new DatasetKeyStore(flags.keyStore),
      publish: async (ciphertext) => {
        if (flags.out === undefined) return upload(flags.upload, ciphertext, "the encrypted file");
        await writeFile(flags.out, ciphertext).catch((error: Error) => {
          throw new CliError(`--out ${flags.out}: ${error.message}`);
        });
        return flags.uri as string;
      },
    });
    print(options, { ...registered, keyStore: path.resolve(flags.keyStore) }, (r) => [
      `Dataset ${r.datasetId} is registered: its sha256 is ${r.contentHash}, its ciphertext at ${r.uri}.`,
      `Its key is in ${r.keyStore}: back it up; grants need it (fourfold grant approve <id>, or the keys role).`,
    ]);
  });

const printGrant = (g: Awaited<ReturnType<typeof grantStatus>>) => [
  `Grant ${g.grantId} of dataset ${g.datasetId} to identity ${g.granteeId}: ${g.state}${g.keyDelivered ? ", key delivered" : ""}, ${g.usesLeft} uses left`,
];

const grant = program
  .command("grant")
  .description("grants: a grantee's access to a dataset, approved and revocable by its owner");
grant
  .command("approve")
  .description("approve a requested grant of your dataset and deliver its key, sealed to the grantee")
  .argument("<id>", "the grant", id)
  .addOption(keyStoreOption())
  .action(async (grantId: bigint, flags: { keyStore: string }, command: Command) => {
    const options = globals(command);
    const ctx = await context(options);
    const keys = new DatasetKeyStore(flags.keyStore);
    print(options, await approveGrant(ctx, await signer(options), grantId, keys), printGrant);
  });
grant
  .command("revoke")
  .description("revoke an active grant of your dataset: the time not run and the uses not made go back")
  .argument("<id>", "the grant", id)
  .action(async (grantId: bigint, _: unknown, command: Command) => {
    const options = globals(command);
    const ctx = await context(options);
    print(options, await revokeGrant(ctx, await signer(options), grantId), printGrant);
  });
grant
  .command("status")
  .description("a grant's state")
  .argument("<id>", "the grant", id)
  .action(async (grantId: bigint, _: unknown, command: Command) => {
    const options = globals(command);
    print(options, await grantStatus(await context(options), grantId), printGrant);
  });

// ---------------------------------------------------------------------------------------------------------------------
// the local chain

program
  .command("advance-time")
  .description("move the local chain's clock forward (chain 31337 only): to end a challenge window in a demo")
  .argument("<seconds>", "how far", whole(1, 31_536_000))
  .action(async (seconds: number, _: unknown, command: Command) => {
    const options = globals(command);
    const ctx = await context(options);
    if (ctx.chain.chain.id !== LOCAL_CHAIN_ID) {
      throw new CliError(
        `advance-time works on the local chain (${LOCAL_CHAIN_ID}) only, not on ${ctx.chain.chain.id}`,
      );
    }
    const client = ctx.chain.publicClient;
    await client.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
    await client.request({ method: "evm_mine" as never, params: [] as never });
    const { timestamp } = await client.getBlock();
    print(options, { timestamp }, (r) => [
      `The chain's clock reads ${new Date(Number(r.timestamp) * 1_000).toISOString()}.`,
    ]);
  });

try {
  await program.parseAsync();
} catch (error) {
  console.error(`fourfold: ${describe(error)}`);
  process.exitCode = 1;
}
