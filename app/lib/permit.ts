// ERC-2612 permits for FOLD: the wallet signs "the market may take this much", and the market's *WithPermit call
// applies it in the same transaction as the payment, so paying takes one transaction instead of approve + pay. The
// typed data and the struct are @fourfold/worker/permit's, as the CLI signs them.
import { foldTokenAbi } from "@fourfold/contracts";
import { permitOf, permitTypedData } from "@fourfold/worker/permit";
import type { Address } from "viem";
import type { Config } from "wagmi";
import { readContract, signTypedData } from "wagmi/actions";

/** The market's Permits.Permit struct, signed by `owner` for `spender` to take `value` FOLD until `deadline`. */
export async function signPermit(
  config: Config,
  token: Address,
  owner: Address,
  spender: Address,
  value: bigint,
  deadline: bigint,
): Promise<{ deadline: bigint; v: number; r: `0x${string}`; s: `0x${string}` }> {
  const [domain, nonce] = await Promise.all([
    readContract(config, { address: token, abi: foldTokenAbi, functionName: "eip712Domain" }),
    readContract(config, { address: token, abi: foldTokenAbi, functionName: "nonces", args: [owner] }),
  ]);
  // Signed by the connected wallet's own account (a burner signs in the page; the chain's node cannot).
  const signature = await signTypedData(config, permitTypedData(domain, { owner, spender, value, nonce, deadline }));
  return permitOf(signature, deadline);
}
