// Hardhat's published development accounts: a local Hardhat chain funds the first twenty with 10,000 ETH each, and
// anyone can read their keys, so Fourfold uses them on the local chain (31337) only. Account #0 deploys and holds
// the local chain's genesis FOLD.
import { bytesToHex } from "viem";
import { type HDAccount, mnemonicToAccount } from "viem/accounts";

export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const LOCAL_CHAIN_ID = 31337;

/** Development account `index` (0 to 19 are funded). */
export const devAccount = (index: number): HDAccount => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });

/** Development account `index`'s private key, as key files hold it. */
export function devPrivateKey(index: number): `0x${string}` {
  const key = devAccount(index).getHdKey().privateKey;
  if (key === null) throw new Error(`no private key for development account ${index}`);
  return bytesToHex(key);
}
