import { network } from "hardhat";
import { deployFourfold as deployModule } from "../../deploy/in-process.ts";

/** One in-process chain shared by the contract test files; `loadFixture` snapshots and reverts it between tests. */
const connection = await network.create();
export const { ethers, networkHelpers } = connection;

/**
 * A signer for a contract's address, funded for gas: the tests act as a wired contract (a market, the rewards
 * contract) through it, since the deployment seals those roles and nobody can grant them to a test account.
 */
export async function actAs(address: string) {
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, 10n ** 20n);
  return ethers.getSigner(address);
}

/** Deploys Fourfold through the real Ignition module with the local parameters, as `npm start` does. */
export async function deployFourfold() {
  const contracts = await deployModule(connection);
  const signers = await ethers.getSigners();
  return { ...contracts, signers, deployer: signers[0] };
}
