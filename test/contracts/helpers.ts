import {
  type BaseContract,
  type ContractTransactionResponse,
  Signature,
  type Signer,
  type TypedDataDomain,
} from "ethers";
import type { IdentityRegistry } from "../../types/ethers-contracts/index.ts";

/** Key purposes, as in IIdentityRegistry.KeyPurpose. */
export const Purpose = { None: 0, Node: 1, Worker: 2, Agent: 3, Operator: 4 } as const;
/** Identity kinds, as in IIdentityRegistry.IdentityKind. */
export const Kind = { Standard: 0, Agent: 1 } as const;
/** Outcomes, as in IReputationRegistry.Outcome. */
export const Outcome = { Completed: 0, Refunded: 1, Slashed: 2, ChallengeLost: 3 } as const;

export const BIND_KEY_TYPES = {
  BindKey: [
    { name: "identityId", type: "uint256" },
    { name: "key", type: "address" },
    { name: "purpose", type: "uint8" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export async function identityDomain(registry: BaseContract, chainId?: bigint): Promise<TypedDataDomain> {
  const network = await registry.runner?.provider?.getNetwork();
  return {
    name: "Fourfold IdentityRegistry",
    version: "1",
    chainId: chainId ?? network?.chainId,
    verifyingContract: await registry.getAddress(),
  };
}

/**
 * The EIP-712 signature of BindKey(identityId, key, purpose, nonce, deadline) by `signer`. The key is the signer's
 * own address unless `message.key` names another: an ERC-1271 wallet whose owner signs for it.
 */
export async function signBindKey(
  registry: BaseContract,
  signer: Signer,
  message: {
    identityId: bigint | number;
    purpose: number;
    nonce: bigint | number;
    deadline: bigint | number;
    key?: string;
  },
  domainOverride: Partial<TypedDataDomain> = {},
): Promise<string> {
  const domain = { ...(await identityDomain(registry)), ...domainOverride };
  return signer.signTypedData(domain, BIND_KEY_TYPES, { ...message, key: message.key ?? (await signer.getAddress()) });
}

/** Binds `key` to `identityId` for `purpose`: the key signs BindKey at its current nonce, `owner` submits it. */
export async function bindKey(
  registry: IdentityRegistry,
  owner: Signer,
  identityId: bigint,
  key: Signer,
  purpose: number,
  deadline = 2n ** 40n,
): Promise<ContractTransactionResponse> {
  const address = await key.getAddress();
  const nonce = await registry.keyNonce(address);
  const sig = await signBindKey(registry, key, { identityId, purpose, nonce, deadline });
  return registry.connect(owner).bindKey(identityId, address, purpose, deadline, sig);
}

/** ERC-2612's Permit type. */
export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** A URI of exactly 66 bytes, the size the gas budgets are stated for. */
export const URI_66 = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";

/** `text` as a left-aligned bytes32 string. */
export function bytes32(text: string): string {
  const hex = Buffer.from(text, "utf8").toString("hex");
  if (hex.length > 64) throw new Error(`${text} is longer than 32 bytes`);
  return `0x${hex.padEnd(64, "0")}`;
}

/** Node statuses, as in INodeRegistry.NodeStatus. */
export const NodeStatus = { None: 0, Active: 1, Standby: 2, Decommissioned: 3 } as const;
/** Why a heartbeat batch skipped an entry, as in INodeRegistry.SkipReason. */
export const SkipReason = {
  UnknownNode: 0,
  Decommissioned: 1,
  FromTheFuture: 2,
  TooOld: 3,
  NotNewer: 4,
  BadSignature: 5,
  InactiveKey: 6,
} as const;

export const HEARTBEAT_TYPES = {
  Heartbeat: [
    { name: "nodeId", type: "uint256" },
    { name: "timestamp", type: "uint256" },
  ],
};

/** The node key's EIP-712 signature of Heartbeat(nodeId, timestamp) for `registry`. */
export async function signHeartbeat(
  registry: BaseContract,
  key: Signer,
  nodeId: bigint | number,
  timestamp: bigint | number,
): Promise<string> {
  const network = await registry.runner?.provider?.getNetwork();
  const domain = {
    name: "Fourfold NodeRegistry",
    version: "1",
    chainId: network?.chainId,
    verifyingContract: await registry.getAddress(),
  };
  return key.signTypedData(domain, HEARTBEAT_TYPES, { nodeId, timestamp });
}

/** A heartbeat batch entry: the signature in its compact EIP-2098 form (r, yParityAndS). */
export async function signedHeartbeat(
  registry: BaseContract,
  key: Signer,
  nodeId: bigint | number,
  timestamp: bigint | number,
): Promise<{ nodeId: bigint; timestamp: bigint; r: string; vs: string }> {
  const signature = Signature.from(await signHeartbeat(registry, key, nodeId, timestamp));
  return { nodeId: BigInt(nodeId), timestamp: BigInt(timestamp), r: signature.r, vs: signature.yParityAndS };
}

/** Lease states, as in ILeaseMarket.LeaseState. */
export const LeaseState = { None: 0, Pending: 1, Active: 2, Grace: 3, Ended: 4 } as const;
/** Why a lease ended, as in ILeaseMarket.EndReason. */
export const EndReason = {
  None: 0,
  ClosedByTenant: 1,
  OutOfFunds: 2,
  Reclaimed: 3,
  NodeGone: 4,
  Rejected: 5,
  Cancelled: 6,
} as const;

/** An ERC-2612 permit of `value` from `owner` to `spender` on `token` (FOLD's domain), split for a contract call. */
export async function signPermit(
  token: BaseContract & { nonces(owner: string): Promise<bigint> },
  owner: Signer,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<{ deadline: bigint; v: number; r: string; s: string }> {
  const network = await token.runner?.provider?.getNetwork();
  const ownerAddress = await owner.getAddress();
  const domain = {
    name: "Fourfold",
    version: "1",
    chainId: network?.chainId,
    verifyingContract: await token.getAddress(),
  };
  const message = { owner: ownerAddress, spender, value, nonce: await token.nonces(ownerAddress), deadline };
  const sig = Signature.from(await owner.signTypedData(domain, PERMIT_TYPES, message));
  return { deadline, v: sig.v, r: sig.r, s: sig.s };
}
