// The data market's supply side: a dataset encrypted under its own key (kept in the owner's key store, where the keys
// role finds it to deliver to grantees), its ciphertext published at a URI, and its terms on chain.
import { bytesToHex, type Hex, hexToBytes, keccak256, toBytes } from "viem";
import { revertName } from "../chain.ts";
import { contentHash, encryptDataset, sealDatasetKey } from "../crypto/dataset.ts";
import type { DatasetKeyStore } from "../keys/key-store.ts";
import { type ActionContext, contractOf, type Signer, send } from "./context.ts";

/** DataMarket's purposes as bits of `Terms.purposes`: bit `1 << p` for `IDataMarket.Purpose` p. */
export const PurposeBit = { Training: 1 << 1, Inference: 1 << 2, Analytics: 1 << 3 } as const;

export interface DatasetTerms {
  /** FOLD wei per day of access, and per recorded use. */
  readonly pricePerDay: bigint;
  readonly pricePerUse: bigint;
  /** The longest grant, in seconds. */
  readonly maxDuration: number;
  readonly purposes: number;
  /** Grants start without the owner's approval (the keys role then delivers the key). */
  readonly autoApprove: boolean;
  /** The licence's text; its keccak256 goes on chain. */
  readonly licence: string;
}

/** Encrypts `plaintext` under its key from `keys` (made on first use), publishes the ciphertext with `publish` (which
 * returns its URI) and registers the dataset for `owner`'s identity `ownerId`. Returns the dataset's id. */
export async function registerDataset(
  ctx: ActionContext,
  owner: Signer,
  dataset: {
    readonly ownerId: bigint;
    /** What the market lists it as: 1 to 64 bytes. */
    readonly name: string;
    readonly plaintext: Uint8Array;
    readonly terms: DatasetTerms;
    readonly keys: DatasetKeyStore;
    readonly publish: (ciphertext: Uint8Array) => Promise<string>;
  },
): Promise<{ datasetId: bigint; contentHash: Hex; uri: string }> {
  const nameBytes = new TextEncoder().encode(dataset.name).length;
  if (nameBytes === 0 || nameBytes > 64) throw new Error(`a dataset's name is 1 to 64 bytes, not ${nameBytes}`);
  const hash = contentHash(dataset.plaintext);
  const key = await dataset.keys.keyFor(hash);
  const uri = await dataset.publish(encryptDataset(key, dataset.plaintext));
  const { licence, ...terms } = dataset.terms;
  const datasetId = await send<bigint>(ctx, owner, "DataMarket", "registerDataset", [
    dataset.ownerId,
    dataset.name,
    hash,
    uri,
    { ...terms, licenceHash: keccak256(toBytes(licence)) },
    [],
  ]);
  return { datasetId, contentHash: hash, uri };
}

export const GRANT_STATES = ["None", "Requested", "Active", "Rejected", "Withdrawn", "Cancelled", "Revoked", "Expired"];

/** Grant `grantId` as the chain has it, with its state by name. */
export async function grantStatus(ctx: ActionContext, grantId: bigint) {
  const grant = await ctx.chain.publicClient
    .readContract({ ...contractOf(ctx, "DataMarket"), functionName: "grant", args: [grantId] })
    .catch((error: unknown) => {
      throw revertName(error) === "DataUnknownGrant" ? new Error(`there is no grant #${grantId}`) : error;
    });
  return {
    grantId,
    datasetId: BigInt(grant.datasetId),
    granteeId: BigInt(grant.granteeId),
    state: GRANT_STATES[grant.state] ?? "None",
    keyDelivered: grant.keyDelivered,
    expiresAt: grant.expiresAt,
    usesLeft: grant.usesLeft,
  };
}

/** Approves a requested grant of `owner`'s dataset and delivers its key, sealed to the grantee's encryption key: the
 * owner's side of "grant access" (the keys role does the delivery by itself when it runs). The dataset's key must be in
 * `keys`, and the grantee must have published an encryption key; both are checked before anything is sent. */
export async function approveGrant(
  ctx: ActionContext,
  owner: Signer,
  grantId: bigint,
  keys: DatasetKeyStore,
): Promise<Awaited<ReturnType<typeof grantStatus>>> {
  const client = ctx.chain.publicClient;
  const market = contractOf(ctx, "DataMarket");
  const grant = await grantStatus(ctx, grantId);
  if (grant.state !== "Requested" && !(grant.state === "Active" && !grant.keyDelivered)) {
    throw new Error(
      `grant #${grantId} is ${grant.state}${grant.keyDelivered ? " with its key delivered" : ""}: nothing to approve`,
    );
  }
  const dataset = await client.readContract({ ...market, functionName: "dataset", args: [grant.datasetId] });
  const key = await keys.get(dataset.contentHash);
  if (key === undefined) {
    throw new Error(`the key of dataset #${grant.datasetId} (${dataset.contentHash}) is not in ${keys.dir}`);
  }
  const granteeKey = await client.readContract({
    ...contractOf(ctx, "IdentityRegistry"),
    functionName: "encryptionKeyOf",
    args: [grant.granteeId],
  });
  if (BigInt(granteeKey) === 0n) {
    throw new Error(
      `grantee identity ${grant.granteeId} has no encryption key yet: the dataset key cannot be sealed to it`,
    );
  }
  if (grant.state === "Requested") await send(ctx, owner, "DataMarket", "approve", [grantId]);
  try {
    await send(ctx, owner, "DataMarket", "deliverKey", [
      grantId,
      bytesToHex(sealDatasetKey(hexToBytes(granteeKey), key)),
    ]);
  } catch (error) {
    // The keys role, running for this owner, delivered it first: what was wanted.
    if (!(await grantStatus(ctx, grantId)).keyDelivered) throw error;
  }
  return grantStatus(ctx, grantId);
}

/** Revokes an active grant of `owner`'s dataset: the time not run and the uses not made go back to the grantee. */
export async function revokeGrant(ctx: ActionContext, owner: Signer, grantId: bigint) {
  await send(ctx, owner, "DataMarket", "revoke", [grantId]);
  return grantStatus(ctx, grantId);
}
