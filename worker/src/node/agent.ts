// The node agent: registers the farm and node on first run, heartbeats, watches the node's leases, decrypts their
// manifests, runs allowed workloads through a driver and acknowledges (or rejects) each lease on-chain, settles the
// node's leases now and then, and stops workloads when their leases end.
//
// Durable and idempotent: the agent's own progress (a cursor over confirmed blocks and what it did for each lease)
// is in a JsonStore written before and after every side effect, and every chain action first checks whether the
// chain already shows it done. Killed at any moment and restarted, it neither loses a lease nor acts twice.
import { statfs } from "node:fs/promises";
import os from "node:os";
import type { Logger } from "pino";
import { type Account, type Address, type Hex, hexToBytes, keccak256 } from "viem";
import { z } from "zod";
import { bindKeyArgs } from "../actions/identity.ts";
import {
  type Chainlink,
  type ContractCall,
  contractAbi,
  defaultConfirmations,
  isTransient,
  revertName,
  sendContract,
} from "../chain.ts";
import type { NodeFileConfig } from "../config.ts";
import { open as openBox, SealError } from "../crypto/seal.ts";
import { KeyPurpose } from "../identity.ts";
import { byPosition, runLoop, sweepConfirmed, untilRpcAnswers } from "../loop.ts";
import type { JsonStore } from "../store.ts";
import type { Driver } from "./driver.ts";
import { checkManifest, ManifestError } from "./templates.ts";

const LeaseState = { None: 0, Pending: 1, Active: 2, Grace: 3, Ended: 4 } as const;

const leaseRecordSchema = z.object({
  status: z.enum(["opened", "running", "acknowledged", "rejected", "ended"]),
  deploymentHash: z.string(),
  cpu: z.number(),
  memoryMiB: z.number(),
  template: z.string().optional(),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  port: z.number().optional(),
  endpoint: z.string().optional(),
  reason: z.string().optional(),
});
export type LeaseRecord = z.infer<typeof leaseRecordSchema>;

export const nodeStateSchema = z.object({
  version: z.literal(1),
  /** The deployment this state belongs to; a different one (a restarted local chain) starts afresh. */
  chainId: z.number(),
  leaseMarket: z.string(),
  farmId: z.string().optional(),
  nodeId: z.string().optional(),
  /** The last block whose logs were fully handled. */
  cursor: z.string(),
  leases: z.record(z.string(), leaseRecordSchema),
});
export type NodeState = z.infer<typeof nodeStateSchema>;

export function initialNodeState(chainId: number, leaseMarket: string, startBlock: number): NodeState {
  return { version: 1, chainId, leaseMarket, cursor: String(startBlock - 1), leases: {} };
}

export interface NodeAgentDeps {
  readonly config: NodeFileConfig;
  readonly chain: Chainlink;
  readonly nodeAccount: Account & { address: Address };
  readonly ownerAccount: (Account & { address: Address }) | undefined;
  /** The farm identity's X25519 secret key (manifests are sealed to its public key). */
  readonly encryptionSecret: Uint8Array;
  readonly encryptionPublic: Uint8Array;
  readonly store: JsonStore<NodeState>;
  readonly driver: Driver;
  readonly log: Logger;
  readonly stateDir: string;
}

export class NodeAgent {
  private readonly identities;
  private readonly nodes;
  private readonly market;
  private readonly rewards;
  /** The last epoch in which the agent looked for rewards to claim. */
  private claimCheckedEpoch = -1n;
  private nodeId = 0n;
  private lastHeartbeatMs = 0;
  private lastSettleMs = Date.now();
  private heartbeatIntervalMs = 0;
  private confirmations = 0n;

  private readonly deps: NodeAgentDeps;

  constructor(deps: NodeAgentDeps) {
    this.deps = deps;
    this.identities = {
      address: deps.chain.deployment("IdentityRegistry").address,
      abi: contractAbi("IdentityRegistry"),
    };
    this.nodes = { address: deps.chain.deployment("NodeRegistry").address, abi: contractAbi("NodeRegistry") };
    this.market = { address: deps.chain.deployment("LeaseMarket").address, abi: contractAbi("LeaseMarket") };
    this.rewards = { address: deps.chain.deployment("FarmingRewards").address, abi: contractAbi("FarmingRewards") };
  }

  get registeredNodeId(): bigint {
    return this.nodeId;
  }

  /** Runs until `signal` aborts; then stops every workload. RPC outages are retried with capped backoff. */
  async run(signal: AbortSignal): Promise<void> {
    const { log } = this.deps;
    await untilRpcAnswers("register", () => this.register(), signal, log);
    await untilRpcAnswers("resume", () => this.resume(), signal, log);
    log.info({ nodeId: this.nodeId, heartbeatIntervalMs: this.heartbeatIntervalMs }, "node agent running");
    await runLoop(() => this.tick(), { intervalMs: this.deps.config.pollIntervalMs, signal, log });
    await this.deps.driver.stopAll();
    log.info("node agent stopped");
  }

  /** One round: a heartbeat when due, the new logs, pending acknowledgements, settlements when due. */
  async tick(): Promise<void> {
    // Epochs change only at heartbeat pace, so the rewards are looked at right after a heartbeat, not every poll.
    if (Date.now() - this.lastHeartbeatMs >= this.heartbeatIntervalMs) {
      await this.heartbeat();
      if (this.deps.config.claimRewards) await this.claimRewards();
    }
    await this.pollLogs();
    await this.retryAcknowledgements();
    const settleEvery = this.deps.config.settleIntervalSeconds * 1_000;
    if (settleEvery > 0 && Date.now() - this.lastSettleMs >= settleEvery) await this.settleAll();
  }

  /** Once per epoch: claims what the node is owed (an epoch's rewards become claimable once the next one ends). */
  private async claimRewards(): Promise<void> {
    const { chain, log } = this.deps;
    const epoch = await chain.publicClient.readContract({ ...this.rewards, functionName: "currentEpoch" });
    if (epoch === this.claimCheckedEpoch) return;
    const pending = await chain.publicClient.readContract({
      ...this.rewards,
      functionName: "pendingRewards",
      args: [this.nodeId],
    });
    if (pending > 0n) {
      try {
        const amount = await this.send(this.deps.nodeAccount, "claim", { ...this.rewards, functionName: "claim" }, [
          this.nodeId,
        ]);
        log.info({ nodeId: this.nodeId, epoch, amount }, "farming rewards claimed");
      } catch (error) {
        // Claimed by someone else in the meantime: there is nothing left, which is what the agent wanted.
        if (revertName(error) !== "RewardsNothingToClaim") throw error;
      }
    }
    this.claimCheckedEpoch = epoch;
  }

  // --------------------------------------------------------------------------------------------------------------
  // Registration
  // --------------------------------------------------------------------------------------------------------------

  /** Makes sure the identity, its encryption key, the farm, the node key's binding and the node exist. */
  async register(): Promise<void> {
    const { chain, config, nodeAccount, store, log } = this.deps;
    const client = chain.publicClient;
    const maxGap = await client.readContract({ ...this.nodes, functionName: "maxGap" });
    this.heartbeatIntervalMs = (config.heartbeatIntervalSeconds ?? Math.max(1, Math.floor(Number(maxGap) / 2))) * 1_000;
    this.confirmations = BigInt(config.confirmations ?? defaultConfirmations(chain.chain.id));

    const existing = await client.readContract({
      ...this.nodes,
      functionName: "nodeOfKey",
      args: [nodeAccount.address],
    });
    if (existing !== 0n) {
      const node = await client.readContract({ ...this.nodes, functionName: "node", args: [existing] });
      await this.ensureEncryptionKey(node.identityId);
      this.nodeId = existing;
      await store.update((s) => {
        s.nodeId = String(existing);
        s.farmId = String(node.farmId);
      });
      return;
    }

    const owner = this.requireOwner("register the node");
    const identityId = await this.ensureIdentity(owner);
    await this.ensureEncryptionKey(identityId);
    const farmId = await this.ensureFarm(owner, identityId);
    await this.ensureNodeKeyBound(owner, identityId);
    const resources = await this.resources();
    const prices = config.node.prices;
    log.info({ farmId, resources }, "registering the node");
    const nodeId = await this.send(owner, "registerNode", { ...this.nodes, functionName: "registerNode" }, [
      farmId,
      nodeAccount.address,
      resources,
      { country: this.countryBytes(), region: config.node.region },
      { cpu: prices.cpu, memoryGiB: prices.memoryGiB, ssdGiB: prices.ssdGiB, hddGiB: prices.hddGiB, gpu: prices.gpu },
    ]);
    this.nodeId = nodeId as bigint;
    await store.update((s) => {
      s.nodeId = String(this.nodeId);
    });
    log.info({ nodeId: this.nodeId }, "node registered");
  }

  private requireOwner(what: string): Account & { address: Address } {
    if (this.deps.ownerAccount === undefined) {
      throw new Error(
        `to ${what}, the agent needs the farm owner's key: pass --owner-key-file (needed on first run only)`,
      );
    }
    return this.deps.ownerAccount;
  }

  private async ensureIdentity(owner: Account & { address: Address }): Promise<bigint> {
    const { chain, config, log } = this.deps;
    const client = chain.publicClient;
    const handle = config.farm.handle;
    const found = await client.readContract({ ...this.identities, functionName: "idOfHandle", args: [handle] });
    if (found !== 0n) {
      const holder = await client.readContract({ ...this.identities, functionName: "ownerOf", args: [found] });
      if (holder.toLowerCase() !== owner.address.toLowerCase()) {
        throw new Error(`the handle ${handle} belongs to ${holder}, not to the owner key ${owner.address}`);
      }
      return found;
    }
    log.info({ handle }, "registering the farm owner's identity");
    return (await this.send(owner, "register", { ...this.identities, functionName: "register" }, [
      handle,
      "",
    ])) as bigint;
  }

  /** The identity's encryption key must be ours: tenants seal manifests to it. Sets it when the identity has none. */
  private async ensureEncryptionKey(identityId: bigint): Promise<void> {
    const { chain, encryptionPublic } = this.deps;
    const ours = `0x${Buffer.from(encryptionPublic).toString("hex")}` as Hex;
    const current = await chain.publicClient.readContract({
      ...this.identities,
      functionName: "encryptionKeyOf",
      args: [identityId],
    });
    if (current.toLowerCase() === ours.toLowerCase()) return;
    if (BigInt(current) !== 0n) {
      throw new Error(
        `identity ${identityId} has encryption key ${current}, not this agent's ${ours}: use the farm's key file (--encryption-key-file)`,
      );
    }
    const owner = this.requireOwner("set the farm identity's encryption key");
    await this.send(owner, "setEncryptionKey", { ...this.identities, functionName: "setEncryptionKey" }, [
      identityId,
      ours,
    ]);
  }

  /** The farm named in the config: the one in the state, or one this identity created with that name, or a new one. */
  private async ensureFarm(owner: Account & { address: Address }, identityId: bigint): Promise<bigint> {
    const { chain, config, store, log } = this.deps;
    const stored = store.get().farmId;
    if (stored !== undefined) return BigInt(stored);
    const created = await chain.publicClient.getContractEvents({
      ...this.nodes,
      eventName: "FarmCreated",
      args: { identityId },
      fromBlock: BigInt(chain.deployment("NodeRegistry").startBlock),
    });
    const mine = created.filter((event) => event.args.name === config.farm.name).at(-1);
    let farmId: bigint;
    if (mine?.args.farmId !== undefined) {
      farmId = mine.args.farmId;
    } else {
      log.info({ name: config.farm.name }, "creating the farm");
      farmId = (await this.send(owner, "createFarm", { ...this.nodes, functionName: "createFarm" }, [
        identityId,
        config.farm.name,
        config.farm.payout ?? owner.address,
      ])) as bigint;
    }
    await store.update((s) => {
      s.farmId = String(farmId);
    });
    return farmId;
  }

  private async ensureNodeKeyBound(owner: Account & { address: Address }, identityId: bigint): Promise<void> {
    const { chain, nodeAccount } = this.deps;
    const [boundTo, purpose, active] = await chain.publicClient.readContract({
      ...this.identities,
      functionName: "keyInfo",
      args: [nodeAccount.address],
    });
    if (active && boundTo === identityId && purpose === KeyPurpose.Node) return;
    await this.send(
      owner,
      "bindKey",
      { ...this.identities, functionName: "bindKey" },
      await bindKeyArgs(chain, identityId, nodeAccount, KeyPurpose.Node),
    );
  }

  /** The machine's resources, with the config's overrides. */
  private async resources() {
    const { config, stateDir } = this.deps;
    const disk = await statfs(stateDir).catch(() => undefined);
    const detected = {
      cpu: Math.min(65_535, os.availableParallelism()),
      memoryMiB: Math.floor(os.totalmem() / 2 ** 20),
      ssdGiB: disk === undefined ? 0 : Math.floor((disk.blocks * disk.bsize) / 2 ** 30),
      hddGiB: 0,
      gpus: 0,
    };
    return { ...detected, ...config.node.resources };
  }

  private countryBytes(): Hex {
    const code = this.deps.config.node.country;
    return `0x${Buffer.from(code, "ascii").toString("hex")}` as Hex;
  }

  // --------------------------------------------------------------------------------------------------------------
  // Heartbeats and settlements
  // --------------------------------------------------------------------------------------------------------------

  private async heartbeat(): Promise<void> {
    await this.send(this.deps.nodeAccount, "heartbeat", { ...this.nodes, functionName: "heartbeat" }, [this.nodeId]);
    this.lastHeartbeatMs = Date.now();
  }

  private async settleAll(): Promise<void> {
    const { store, chain, log } = this.deps;
    for (const [id, record] of Object.entries(store.get().leases)) {
      if (record.status !== "acknowledged") continue;
      const leaseId = BigInt(id);
      const due = await chain.publicClient.readContract({ ...this.market, functionName: "due", args: [leaseId] });
      if (due === 0n) continue;
      try {
        await this.send(this.deps.nodeAccount, "settle", { ...this.market, functionName: "settle" }, [leaseId]);
        log.info({ leaseId, due }, "lease settled");
      } catch (error) {
        if (isTransient(error)) throw error;
        log.warn({ leaseId, err: error }, "settlement failed");
      }
    }
    this.lastSettleMs = Date.now();
  }

  // --------------------------------------------------------------------------------------------------------------
  // Leases
  // --------------------------------------------------------------------------------------------------------------

  /** After a restart: stop what an earlier run left running, then restart the workloads of live leases. */
  async resume(): Promise<void> {
    const { store, driver } = this.deps;
    const live = Object.entries(store.get().leases).filter(
      ([, r]) => r.status === "running" || r.status === "acknowledged",
    );
    await driver.reap(live.map(([id]) => id));
    for (const [id, record] of live) {
      const state = await this.leaseState(BigInt(id));
      if (state === LeaseState.Ended) {
        await this.setLease(id, { status: "ended" });
        continue;
      }
      await this.startWorkload(id, record);
      if (state !== LeaseState.Pending && record.status === "running")
        await this.setLease(id, { status: "acknowledged" });
    }
  }

  /** Handles the logs of confirmed blocks after the cursor, a range at a time; the cursor moves only past a range
   * whose every log was handled, so a failure replays the range (every handler is idempotent). */
  private async pollLogs(): Promise<void> {
    const { chain, store } = this.deps;
    await sweepConfirmed({
      client: chain.publicClient,
      confirmations: this.confirmations,
      cursor: BigInt(store.get().cursor),
      handle: (from, to) => this.handleRange(from, to),
      advance: async (to) => {
        await store.update((s) => {
          s.cursor = String(to);
        });
      },
    });
  }

  private async handleRange(fromBlock: bigint, toBlock: bigint): Promise<void> {
    const client = this.deps.chain.publicClient;
    const query = { ...this.market, args: { nodeId: this.nodeId }, fromBlock, toBlock } as const;
    const [opened, manifests, ended] = await Promise.all([
      client.getContractEvents({ ...query, eventName: "LeaseOpened" }),
      client.getContractEvents({ ...query, eventName: "LeaseManifest" }),
      client.getContractEvents({ ...query, eventName: "LeaseEnded" }),
    ]);
    for (const event of [...opened, ...manifests, ...ended].sort(byPosition)) {
      try {
        if (event.eventName === "LeaseOpened") await this.onOpened(event.args);
        else if (event.eventName === "LeaseManifest") await this.onManifest(event.args);
        else await this.onEnded(event.args);
      } catch (error) {
        // An RPC outage replays the range. Anything else is about this one lease: retrying it would only fail
        // again and hold up every other lease, so it is logged and the lease left to its tenant, who can cancel
        // it with a full refund once the acknowledgement window has passed.
        if (isTransient(error)) throw error;
        this.deps.log.error(
          { leaseId: event.args.leaseId, event: event.eventName, err: error },
          "could not handle a lease event",
        );
      }
    }
  }

  private async onOpened(args: {
    leaseId?: bigint;
    deploymentHash?: Hex;
    resources?: { cpu: number; memoryMiB: number };
  }): Promise<void> {
    const id = String(args.leaseId);
    if (this.deps.store.get().leases[id] !== undefined) return;
    await this.deps.store.update((s) => {
      s.leases[id] = {
        status: "opened",
        deploymentHash: args.deploymentHash ?? "0x",
        cpu: args.resources?.cpu ?? 0,
        memoryMiB: args.resources?.memoryMiB ?? 0,
      };
    });
    this.deps.log.info({ leaseId: id }, "lease opened; waiting for its manifest");
  }

  private async onManifest(args: { leaseId?: bigint; sealedManifest?: Hex }): Promise<void> {
    const { log, store, config } = this.deps;
    const id = String(args.leaseId);
    const record = store.get().leases[id];
    if (record === undefined || record.status !== "opened") return; // not ours, or already handled
    const state = await this.leaseState(BigInt(id));
    if (state !== LeaseState.Pending) {
      await this.setLease(id, { status: state === LeaseState.Ended ? "ended" : "acknowledged" });
      return;
    }
    let checked: ReturnType<typeof checkManifest>;
    try {
      const plaintext = openBox(this.deps.encryptionSecret, hexToBytes(args.sealedManifest ?? "0x"));
      if (keccak256(plaintext) !== record.deploymentHash) {
        throw new ManifestError("manifest does not match the lease's deployment hash");
      }
      checked = checkManifest(plaintext, config.templates);
    } catch (error) {
      if (error instanceof SealError || error instanceof ManifestError) {
        await this.reject(id, error.reason);
        return;
      }
      throw error;
    }
    await this.setLease(id, { template: checked.manifest.template, params: checked.manifest.params });
    try {
      await this.startWorkload(id, { ...record, template: checked.manifest.template, params: checked.manifest.params });
    } catch (error) {
      log.error({ leaseId: id, err: error }, "workload failed to start");
      await this.reject(id, `workload failed to start: ${(error as Error).message}`);
      return;
    }
    await this.acknowledge(id);
  }

  private async onEnded(args: { leaseId?: bigint; reason?: number }): Promise<void> {
    const id = String(args.leaseId);
    const record = this.deps.store.get().leases[id];
    if (record === undefined || record.status === "ended" || record.status === "rejected") return;
    await this.deps.driver.stop(id);
    await this.setLease(id, { status: "ended" });
    this.deps.log.info({ leaseId: id, reason: args.reason }, "lease ended; workload stopped");
  }

  /** Starts (or restarts, on the same port) a lease's workload and records it as running. */
  private async startWorkload(id: string, record: LeaseRecord): Promise<void> {
    const template = record.template === undefined ? undefined : this.deps.config.templates[record.template];
    if (template === undefined || record.params === undefined) {
      throw new Error(`lease ${id}: template ${record.template} is no longer allowed by the node config`);
    }
    const started = await this.deps.driver.start({
      leaseId: id,
      template,
      params: record.params,
      cpu: record.cpu,
      memoryMiB: record.memoryMiB,
      port: record.port,
    });
    await this.setLease(id, {
      status: record.status === "acknowledged" ? "acknowledged" : "running",
      port: started.port,
      endpoint: started.endpoint,
    });
  }

  /** Leases whose workload runs but whose acknowledgement has not landed (an RPC failure, or a restart). */
  private async retryAcknowledgements(): Promise<void> {
    for (const [id, record] of Object.entries(this.deps.store.get().leases)) {
      if (record.status === "running") await this.acknowledge(id);
    }
  }

  private async acknowledge(id: string): Promise<void> {
    const record = this.deps.store.get().leases[id];
    if (record?.endpoint === undefined) return;
    const state = await this.leaseState(BigInt(id));
    if (state === LeaseState.Pending) {
      try {
        await this.send(
          this.deps.nodeAccount,
          "acknowledgeLease",
          { ...this.market, functionName: "acknowledgeLease" },
          [BigInt(id), record.endpoint],
        );
      } catch (error) {
        // Cancelled by its tenant in the meantime: LeaseWrongState. Anything else transient is retried by the loop.
        if (revertName(error) !== "LeaseWrongState") throw error;
      }
    }
    const after = await this.leaseState(BigInt(id));
    if (after === LeaseState.Ended) {
      await this.deps.driver.stop(id);
      await this.setLease(id, { status: "ended" });
      return;
    }
    await this.setLease(id, { status: "acknowledged" });
    this.deps.log.info({ leaseId: id, endpoint: record.endpoint }, "lease acknowledged");
  }

  private async reject(id: string, fullReason: string): Promise<void> {
    const { log } = this.deps;
    // The market takes 1 to 256 bytes; a reason can quote a tenant's parameter name, which may be longer.
    const reason = truncateUtf8(fullReason, 256);
    log.warn({ leaseId: id, reason }, "rejecting the lease");
    if ((await this.leaseState(BigInt(id))) === LeaseState.Pending) {
      try {
        await this.send(this.deps.nodeAccount, "rejectLease", { ...this.market, functionName: "rejectLease" }, [
          BigInt(id),
          reason,
        ]);
      } catch (error) {
        if (revertName(error) !== "LeaseWrongState") throw error;
      }
    }
    await this.setLease(id, { status: "rejected", reason });
  }

  private async leaseState(leaseId: bigint): Promise<number> {
    const lease = await this.deps.chain.publicClient.readContract({
      ...this.market,
      functionName: "lease",
      args: [leaseId],
    });
    return lease.state;
  }

  private async setLease(id: string, change: Partial<LeaseRecord>): Promise<void> {
    await this.deps.store.update((s) => {
      const current = s.leases[id];
      if (current !== undefined) s.leases[id] = { ...current, ...change };
    });
  }

  // --------------------------------------------------------------------------------------------------------------
  // Transactions
  // --------------------------------------------------------------------------------------------------------------

  private send(
    account: Account & { address: Address },
    label: string,
    contract: ContractCall,
    args: readonly unknown[],
  ): Promise<unknown> {
    return sendContract(this.deps.chain, this.deps.log, account, label, contract, args);
  }
}

/** `text` cut to at most `bytes` bytes of UTF-8, on a character boundary. */
export function truncateUtf8(text: string, bytes: number): string {
  const encoded = new TextEncoder().encode(text);
  if (encoded.length <= bytes) return text;
  let end = bytes;
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return new TextDecoder().decode(encoded.subarray(0, end));
}
