// The keys role: delivers dataset keys for the data owner. It watches DataMarket's GrantApproved events; for every
// grant of a dataset whose key is in the owner's key store (found by the dataset's content hash), it seals the key to
// the grantee's X25519 encryption key (from IdentityRegistry) and posts it with `deliverKey`, from the owner's key
// or one of its Operator keys.
//
// Idempotent across restarts: the cursor over confirmed blocks moves only past handled ranges, and before sending,
// the role reads the grant: a key already delivered, or a grant no longer active, is left alone. A grant it cannot
// serve yet (the grantee has no encryption key, the sending key is not authorised) is kept, with the reason, in the
// durable state and retried now and then until it can be served or is over.
import type { Logger } from "pino";
import { type Account, type Address, bytesToHex, type Hex, hexToBytes } from "viem";
import { z } from "zod";
import { type Chainlink, contractAbi, isTransient, revertName, sendContract } from "../chain.ts";
import { sealDatasetKey } from "../crypto/dataset.ts";
import { byPosition, runLoop, sweepConfirmed } from "../loop.ts";
import type { JsonStore } from "../store.ts";
import type { DatasetKeyStore } from "./key-store.ts";

const GrantState = { Active: 2 } as const;
/** Reverts that mean the grant needs nothing more from us. */
const SETTLED = new Set(["DataKeyAlreadyDelivered", "DataWrongState", "DataGrantExpired"]);

export const keysStateSchema = z.object({
  version: z.literal(1),
  /** The deployment this state belongs to; a different one (a restarted local chain) starts afresh. */
  chainId: z.number(),
  dataMarket: z.string(),
  /** The last block whose GrantApproved logs were fully handled. */
  cursor: z.string(),
  /** Grants of our datasets that could not be served yet, by id, with why. */
  waiting: z.record(z.string(), z.object({ datasetId: z.string(), reason: z.string() })),
});
export type KeysState = z.infer<typeof keysStateSchema>;

export function initialKeysState(chainId: number, dataMarket: string, startBlock: number): KeysState {
  return { version: 1, chainId, dataMarket, cursor: String(startBlock - 1), waiting: {} };
}

export interface KeysRoleOptions {
  readonly pollIntervalMs: number;
  /** How often grants in `waiting` are tried again. */
  readonly retryIntervalMs: number;
  /** Blocks a log must be buried under before the role acts on it. */
  readonly confirmations: bigint;
}

export interface KeysRoleDeps {
  readonly chain: Chainlink;
  /** The dataset owner's identity owner key, or one of its Operator keys. */
  readonly account: Account & { address: Address };
  readonly keys: DatasetKeyStore;
  readonly store: JsonStore<KeysState>;
  readonly log: Logger;
  readonly options: KeysRoleOptions;
}

/** What became of one grant. */
export type Delivery = "delivered" | "not ours" | "nothing to do" | "waiting";

export class KeysRole {
  private readonly deps: KeysRoleDeps;
  private readonly market;
  private readonly identities;
  /** Content hashes by dataset id: they never change. */
  private readonly contentHashes = new Map<bigint, Hex>();
  private lastRetryMs = 0;

  constructor(deps: KeysRoleDeps) {
    this.deps = deps;
    this.market = { address: deps.chain.deployment("DataMarket").address, abi: contractAbi("DataMarket") };
    this.identities = {
      address: deps.chain.deployment("IdentityRegistry").address,
      abi: contractAbi("IdentityRegistry"),
    };
  }

  /** Runs until `signal` aborts. RPC outages are retried with capped backoff. */
  async run(signal: AbortSignal): Promise<void> {
    const { log, options } = this.deps;
    log.info({ keyStore: this.deps.keys.dir, from: this.deps.account.address }, "keys role running");
    await runLoop(() => this.tick(), { intervalMs: options.pollIntervalMs, signal, log });
    log.info("keys role stopped");
  }

  /** One round: the grants approved in newly confirmed blocks, then (now and then) the waiting ones. */
  async tick(): Promise<void> {
    const { chain, store, options } = this.deps;
    await sweepConfirmed({
      client: chain.publicClient,
      confirmations: options.confirmations,
      cursor: BigInt(store.get().cursor),
      handle: (from, to) => this.handleRange(from, to),
      advance: async (to) => {
        await store.update((s) => {
          s.cursor = String(to);
        });
      },
    });
    if (Date.now() - this.lastRetryMs >= options.retryIntervalMs) {
      for (const [id, waiting] of Object.entries(store.get().waiting)) {
        await this.deliver(BigInt(id), BigInt(waiting.datasetId));
      }
      this.lastRetryMs = Date.now();
    }
  }

  private async handleRange(fromBlock: bigint, toBlock: bigint): Promise<void> {
    const approved = await this.deps.chain.publicClient.getContractEvents({
      ...this.market,
      eventName: "GrantApproved",
      fromBlock,
      toBlock,
    });
    for (const event of approved.sort(byPosition)) {
      const { grantId, datasetId } = event.args;
      if (grantId === undefined || datasetId === undefined) continue;
      await this.deliver(grantId, datasetId);
    }
  }

  /** Delivers the key of one grant if it is ours and still needs it. Transient errors are thrown (the caller
   * replays); anything else leaves the grant waiting, with the reason. */
  async deliver(grantId: bigint, datasetId: bigint): Promise<Delivery> {
    const { chain, keys, log } = this.deps;
    const client = chain.publicClient;
    const contentHash = await this.contentHashOf(datasetId);
    const key = await keys.get(contentHash);
    if (key === undefined) {
      log.debug({ grantId, datasetId, contentHash }, "not one of our datasets");
      return "not ours";
    }
    const grant = await client.readContract({ ...this.market, functionName: "grant", args: [grantId] });
    const now = (await client.getBlock()).timestamp;
    if (grant.state !== GrantState.Active || grant.keyDelivered || BigInt(grant.expiresAt) <= now) {
      await this.done(grantId);
      return "nothing to do";
    }
    const granteeKey = await client.readContract({
      ...this.identities,
      functionName: "encryptionKeyOf",
      args: [grant.granteeId],
    });
    if (BigInt(granteeKey) === 0n) {
      return this.wait(grantId, datasetId, `grantee identity ${grant.granteeId} has no encryption key`);
    }
    const sealed = bytesToHex(sealDatasetKey(hexToBytes(granteeKey), key));
    try {
      await sendContract(chain, log, this.deps.account, "deliverKey", { ...this.market, functionName: "deliverKey" }, [
        grantId,
        sealed,
      ]);
    } catch (error) {
      if (isTransient(error)) throw error;
      const reverted = revertName(error);
      if (reverted !== undefined && SETTLED.has(reverted)) {
        await this.done(grantId);
        return "nothing to do";
      }
      log.error({ grantId, datasetId, err: error }, "could not deliver a dataset key; will retry");
      return this.wait(grantId, datasetId, reverted ?? (error as Error).message);
    }
    await this.done(grantId);
    log.info({ grantId, datasetId, granteeId: grant.granteeId }, "dataset key delivered");
    return "delivered";
  }

  private async contentHashOf(datasetId: bigint): Promise<Hex> {
    const cached = this.contentHashes.get(datasetId);
    if (cached !== undefined) return cached;
    const dataset = await this.deps.chain.publicClient.readContract({
      ...this.market,
      functionName: "dataset",
      args: [datasetId],
    });
    this.contentHashes.set(datasetId, dataset.contentHash);
    return dataset.contentHash;
  }

  private async wait(grantId: bigint, datasetId: bigint, reason: string): Promise<Delivery> {
    const id = String(grantId);
    if (this.deps.store.get().waiting[id]?.reason !== reason) {
      // Durable first, then said: whoever reads the log finds the grant in the state.
      await this.deps.store.update((s) => {
        s.waiting[id] = { datasetId: String(datasetId), reason };
      });
      this.deps.log.warn({ grantId, datasetId, reason }, "grant waiting for its key");
    }
    return "waiting";
  }

  private async done(grantId: bigint): Promise<void> {
    const id = String(grantId);
    if (this.deps.store.get().waiting[id] === undefined) return;
    await this.deps.store.update((s) => {
      delete s.waiting[id];
    });
  }
}
