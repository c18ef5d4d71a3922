import path from "node:path";
import type { NetworkConnection } from "hardhat/types/network";
import type {
  DataMarket,
  FarmingRewards,
  FoldToken,
  IdentityRegistry,
  JobMarket,
  LeaseMarket,
  NodeRegistry,
  ReputationRegistry,
} from "../types/ethers-contracts/index.ts";
import FourfoldModule from "./modules/Fourfold.ts";

export interface FourfoldContracts {
  foldToken: FoldToken;
  identityRegistry: IdentityRegistry;
  reputationRegistry: ReputationRegistry;
  nodeRegistry: NodeRegistry;
  leaseMarket: LeaseMarket;
  farmingRewards: FarmingRewards;
  dataMarket: DataMarket;
  jobMarket: JobMarket;
}

/** The parameters the in-process Hardhat network deploys with (the same genesis as `npm start`'s local chain). */
export const HARDHAT_PARAMETERS = path.resolve(import.meta.dirname, "parameters/hardhat.json");

/**
 * Deploys the Fourfold Ignition module on a connection (the tests' and the gas scenario's in-process chains) and
 * returns the contracts with their TypeChain types. Ignition's ethers helper types every contract as a plain
 * `Contract`; the module's own futures name the artifacts, so the cast is exact.
 */
export async function deployFourfold(connection: NetworkConnection): Promise<FourfoldContracts> {
  const contracts = await connection.ignition.deploy(FourfoldModule, {
    parameters: HARDHAT_PARAMETERS,
    displayUi: false,
  });
  return {
    foldToken: contracts.foldToken as unknown as FoldToken,
    identityRegistry: contracts.identityRegistry as unknown as IdentityRegistry,
    reputationRegistry: contracts.reputationRegistry as unknown as ReputationRegistry,
    nodeRegistry: contracts.nodeRegistry as unknown as NodeRegistry,
    leaseMarket: contracts.leaseMarket as unknown as LeaseMarket,
    farmingRewards: contracts.farmingRewards as unknown as FarmingRewards,
    dataMarket: contracts.dataMarket as unknown as DataMarket,
    jobMarket: contracts.jobMarket as unknown as JobMarket,
  };
}
