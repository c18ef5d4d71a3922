import path from "node:path";
import { network } from "hardhat";
import FourfoldModule from "../../deploy/Fourfold.ts";

/** One in-process chain shared by the contract test files; `loadFixture` snapshots and reverts it between tests. */
export const { ethers, ignition, networkHelpers } = await network.create();

const PARAMETERS = path.resolve(import.meta.dirname, "../../deploy/parameters/hardhat.json");

/** Deploys Fourfold through the real Ignition module with the local parameters, as `npm start` does. */
export async function deployFourfold() {
  const contracts = await ignition.deploy(FourfoldModule, { parameters: PARAMETERS, displayUi: false });
  const signers = await ethers.getSigners();
  return { ...contracts, signers, deployer: signers[0] };
}
