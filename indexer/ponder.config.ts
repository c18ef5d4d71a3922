// Ponder's configuration: every Fourfold contract on the chain the settings name, with ABIs, addresses and start
// blocks from @fourfold/contracts (the generated module).
import { abis, type ContractName, deploymentsOn } from "@fourfold/contracts";
import { createConfig } from "ponder";
import { indexerSettings } from "./settings.ts";

const settings = indexerSettings(process.env);
const deployed = deploymentsOn(settings.chainId);
const local = settings.chainId === 31337;

// Ponder starts each RPC endpoint at 20 requests a second and raises that only after 10 s at the limit: right for a
// hosted provider, a throttle for a node on this machine (it held a backfill of the local chain at half speed). Each
// listed URL is an endpoint of its own, so the local node is listed 8 times (more gained nothing, measured).
const LOCAL_ENDPOINTS = 8;

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
      rpc: local ? Array<string>(LOCAL_ENDPOINTS).fill(settings.rpcUrl) : settings.rpcUrl,
      pollingInterval: settings.pollingIntervalMs,
      // A local chain restarts with the same id and different blocks: nothing of it is worth caching.
      disableCache: local,
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
