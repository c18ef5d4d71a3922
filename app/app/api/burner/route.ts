// POST /api/burner {address}: gives a burner wallet on the local chain ETH for gas and FOLD to spend, from Hardhat's
// published development account #0 (which holds the local chain's genesis FOLD). Only on chain 31337: those keys
// are public, and this route refuses every other chain.
import { foldTokenAbi } from "@fourfold/contracts";
import { devAccount } from "@fourfold/worker/dev-accounts";
import { createPublicClient, createWalletClient, defineChain, http, isAddress, parseEther } from "viem";
import { readDeployment } from "@/lib/deployment";
import { appSettings } from "@/lib/settings";

export const dynamic = "force-dynamic";

const BURNER_GRANT = { eth: parseEther("10"), fold: parseEther("10000") };

export async function POST(request: Request): Promise<Response> {
  const { chainId, rpcUrl, deploymentsDir } = appSettings();
  if (chainId !== 31337) {
    return Response.json({ error: "the burner wallet exists only on the local chain (31337)" }, { status: 404 });
  }
  const body = (await request.json().catch(() => undefined)) as { address?: unknown } | undefined;
  const address = body?.address;
  if (typeof address !== "string" || !isAddress(address, { strict: false })) {
    return Response.json({ error: "address: expected a 0x-prefixed 20-byte hex address" }, { status: 400 });
  }
  const token = await readDeployment(31337, deploymentsDir).then(
    (addresses) => addresses.FoldToken,
    () => undefined,
  );
  if (token === undefined) {
    return Response.json({ error: "FoldToken is not deployed on the local chain" }, { status: 503 });
  }
  const chain = defineChain({
    id: 31337,
    name: "local",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const reader = createPublicClient({ chain, transport: http(rpcUrl) });
  const dev = createWalletClient({ account: devAccount(0), chain, transport: http(rpcUrl) });
  try {
    // One grant per wallet: a funded burner gets nothing more.
    if ((await reader.getBalance({ address })) > 0n) return Response.json({ funded: false });
    const hashes = [
      await dev.sendTransaction({ to: address, value: BURNER_GRANT.eth }),
      await dev.writeContract({
        address: token,
        abi: foldTokenAbi,
        functionName: "transfer",
        args: [address, BURNER_GRANT.fold],
      }),
    ];
    for (const hash of hashes) {
      const receipt = await reader.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    }
    return Response.json({ funded: true, eth: String(BURNER_GRANT.eth), fold: String(BURNER_GRANT.fold) });
  } catch (error) {
    return Response.json({ error: `could not fund ${address}: ${(error as Error).message}` }, { status: 502 });
  }
}
