import { network } from "hardhat";
import { deployFourfold as deployModule } from "../../deploy/in-process.ts";

/** One in-process chain shared by the contract test files; `loadFixture` snapshots and reverts it between tests. */
const connection = await network.create();
export const { ethers, networkHelpers } = connection;

/** Deploys Fourfold through the real Ignition module with the local parameters, as `npm start` does. */
export async function deployFourfold() {
  const contracts = await deployModule(connection);
  const signers = await ethers.getSigners();
  return { ...contracts, signers, deployer: signers[0] };
}
