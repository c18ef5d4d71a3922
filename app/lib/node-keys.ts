// Node keys made in this browser (the Farm page): kept in its localStorage from the moment one is made, so that a
// key already bound survives a failed registration, a reload or a page left by mistake, until the farmer has saved it
// (downloaded it, then said so). Per chain and identity before registration, per chain and node after. A node key
// signs heartbeats only; it holds no funds.
import type { Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";

const PREFIX = "fourfold:node-key:";
const pendingName = (chainId: number, identityId: string) => `${PREFIX}${chainId}:pending:${identityId}`;
const nodeName = (chainId: number, nodeId: string) => `${PREFIX}${chainId}:node:${nodeId}`;
const isKey = (value: string | null): value is Hex => value !== null && /^0x[0-9a-f]{64}$/.test(value);

/** The key the next node of `identityId` registers with: the one made before (bound, maybe), or a new one, kept. */
export function pendingNodeKey(chainId: number, identityId: string): Hex {
  const kept = localStorage.getItem(pendingName(chainId, identityId));
  if (isKey(kept)) return kept;
  const key = generatePrivateKey();
  localStorage.setItem(pendingName(chainId, identityId), key);
  return key;
}

/** `key` now belongs to node `nodeId`: kept under the node until it is saved, and the identity's next node gets a
 * new one. */
export function keepNodeKey(chainId: number, identityId: string, nodeId: string, key: Hex): void {
  localStorage.setItem(nodeName(chainId, nodeId), key);
  localStorage.removeItem(pendingName(chainId, identityId));
}

/** The registered nodes whose keys this browser still keeps (not yet marked saved), by node id. */
export function keptNodeKeys(chainId: number): { nodeId: string; key: Hex }[] {
  const found: { nodeId: string; key: Hex }[] = [];
  const prefix = `${PREFIX}${chainId}:node:`;
  for (let i = 0; i < localStorage.length; i++) {
    const name = localStorage.key(i);
    if (name === null || !name.startsWith(prefix)) continue;
    const key = localStorage.getItem(name);
    if (isKey(key)) found.push({ nodeId: name.slice(prefix.length), key });
  }
  return found.sort((a, b) => Number(a.nodeId) - Number(b.nodeId));
}

/** The farmer has saved node `nodeId`'s key: this browser forgets it. */
export function forgetNodeKey(chainId: number, nodeId: string): void {
  localStorage.removeItem(nodeName(chainId, nodeId));
}

/** A download link's target for a key file: the key and a newline. */
export const keyFileHref = (key: Hex) => `data:text/plain;charset=utf-8,${key}%0A`;
