// The data market's supply side: a dataset encrypted under its own key (kept in the owner's key store, where the keys
// role finds it to deliver to grantees), its ciphertext published at a URI, and its terms on chain.
import { type Hex, keccak256, toBytes } from "viem";
import { contentHash, encryptDataset } from "../crypto/dataset.ts";
import type { DatasetKeyStore } from "../keys/key-store.ts";
import { type ActionContext, type Signer, send } from "./context.ts";

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
    readonly plaintext: Uint8Array;
    readonly terms: DatasetTerms;
    readonly keys: DatasetKeyStore;
    readonly publish: (ciphertext: Uint8Array) => Promise<string>;
  },
): Promise<{ datasetId: bigint; contentHash: Hex; uri: string }> {
  const hash = contentHash(dataset.plaintext);
  const key = await dataset.keys.keyFor(hash);
  const uri = await dataset.publish(encryptDataset(key, dataset.plaintext));
  const { licence, ...terms } = dataset.terms;
  const datasetId = await send<bigint>(ctx, owner, "DataMarket", "registerDataset", [
    dataset.ownerId,
    hash,
    uri,
    { ...terms, licenceHash: keccak256(toBytes(licence)) },
    [],
  ]);
  return { datasetId, contentHash: hash, uri };
}
