// A burner wallet for the local chain: a key made in this browser and kept in its localStorage, funded by the app
// server from a Hardhat development account (POST /api/burner). It lets `npm start` be used without a wallet
// extension. Never offered on any other chain: its key is only as safe as this browser's storage.
import { type Address, createWalletClient, type EIP1193RequestFn, type Hex, http, numberToHex } from "viem";
import { createConnector } from "wagmi";

const KEY = "fourfold.burner.key";
const CONNECTED = "fourfold.burner.connected";
const ADDRESS = "fourfold.burner.address";

/** This browser's burner account, made on first use. The signing code (viem/accounts, secp256k1) loads only now:
 * most visits never use the burner, and it would weigh on every page's first load. */
async function burnerAccount() {
  const { generatePrivateKey, privateKeyToAccount } = await import("viem/accounts");
  let key = localStorage.getItem(KEY) as Hex | null;
  if (key === null) {
    key = generatePrivateKey();
    localStorage.setItem(KEY, key);
  }
  const account = privateKeyToAccount(key);
  localStorage.setItem(ADDRESS, account.address);
  return account;
}

/** The burner's address, without loading the signing code once it is known. */
async function burnerAddress(): Promise<Address> {
  const known = localStorage.getItem(ADDRESS) as Address | null;
  if (known !== null && localStorage.getItem(KEY) !== null) return known;
  return (await burnerAccount()).address;
}

export function burner() {
  return createConnector((config) => {
    const chain = config.chains[0];
    const client = async () =>
      createWalletClient({ account: await burnerAccount(), chain, transport: http(chain.rpcUrls.default.http[0]) });
    const accounts = async (): Promise<readonly Address[]> =>
      localStorage.getItem(CONNECTED) === "1" ? [await burnerAddress()] : [];
    return {
      id: "burner",
      name: "Burner wallet (local chain)",
      type: "burner",
      async connect(parameters) {
        localStorage.setItem(CONNECTED, "1");
        const address = await burnerAddress();
        const connected = parameters?.withCapabilities ? [{ address, capabilities: {} }] : [address];
        return { accounts: connected as never, chainId: chain.id };
      },
      async disconnect() {
        localStorage.removeItem(CONNECTED);
      },
      async getAccounts() {
        return accounts();
      },
      async getChainId() {
        return chain.id;
      },
      async isAuthorized() {
        return (await accounts()).length > 0;
      },
      // wagmi signs and sends through this client: the key signs here, and the chain's node only sees raw transactions.
      async getClient() {
        return client();
      },
      async getProvider() {
        const request: EIP1193RequestFn = async ({ method, params }) => {
          if (method === "eth_accounts" || method === "eth_requestAccounts") return (await accounts()) as never;
          if (method === "eth_chainId") return numberToHex(chain.id) as never;
          return (await client()).request({ method, params } as never) as never;
        };
        return { request };
      },
      onAccountsChanged() {},
      onChainChanged() {},
      onDisconnect() {
        config.emitter.emit("disconnect");
      },
    };
  });
}
