// /indexer/*: the indexer's API (REST routes and GraphQL) on the app's own origin, forwarded to FOURFOLD_INDEXER_URL
// (read per request) by lib/indexer-proxy.ts.
import { forwardToIndexer } from "@/lib/indexer-proxy";
import { appSettings } from "@/lib/settings";

export const dynamic = "force-dynamic";

async function forward(request: Request, { params }: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const { path } = await params;
  return forwardToIndexer(request, appSettings().indexerUrl, path);
}

export { forward as GET, forward as POST };
