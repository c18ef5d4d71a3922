// Ponder's configuration: every Fourfold contract on the chain the settings name, with ABIs, addresses and start
// blocks from @fourfold/contracts (the generated module).
import { abis, type ContractName, deploymentsOn } from "@fourfold/contracts";
import { createConfig } from "ponder";
import { indexerSettings } from "./settings.ts";

const settings = indexerSettings(process.env);
const deployed = deploymentsOn(settings.chainId);

function contract<N extends ContractName>(name: N) {
  const deployment = deployed[name];
  if (deployment === undefined) throw new Error(`${name} is not deployed on chain ${settings.chainId}`);
  return {
    abi: abis[name],
    chain: "fourfold",
    address: deployment.address,
    startBlock: deployment.startBlock,
  } as const;
}

export default createConfig({
  database: settings.database,
  chains: {
    fourfold: {
      id: settings.chainId,
      rpc: settings.rpcUrl,
      pollingInterval: settings.pollingIntervalMs,
      // A local chain restarts with the same id and different blocks: nothing of it is worth caching.
      disableCache: settings.chainId === 31337,
    },
  },
  contracts: {
    IdentityRegistry: contract("IdentityRegistry"),
    ReputationRegistry: contract("ReputationRegistry"),
    NodeRegistry: contract("NodeRegistry"),
    LeaseMarket: contract("LeaseMarket"),
    FarmingRewards: contract("FarmingRewards"),
    DataMarket: contract("DataMarket"),
    JobMarket: contract("JobMarket"),
    FoldToken: contract("FoldToken"),
  },
});
