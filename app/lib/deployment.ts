// Where Fourfold's contracts are, read when a request is served from Ignition's record of the deployment
// (deploy/deployments/chain-<id>/deployed_addresses.json), not baked in at build time: the local chain is deployed
// after the app is built (npm start, tests), and one build serves any chain.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ContractName } from "@fourfold/contracts";
import type { Address } from "viem";

export type Addresses = Partial<Record<ContractName, Address>>;

/** The deployed contracts' addresses on `chainId`, or an error that says where they were looked for. */
export async function readDeployment(chainId: number, deploymentsDir: string): Promise<Addresses> {
  const file = path.join(deploymentsDir, `chain-${chainId}`, "deployed_addresses.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`Fourfold is not deployed on chain ${chainId}: no ${file} (npm start deploys the local chain)`);
  }
  const recorded = JSON.parse(text) as Record<string, Address>;
  // Ignition names each future "<module>#<contract>".
  return Object.fromEntries(Object.entries(recorded).map(([future, address]) => [future.split("#").pop(), address]));
}
