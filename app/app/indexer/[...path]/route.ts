// /indexer/*: the indexer's API (REST routes and GraphQL) on the app's own origin. The browser never needs the
// indexer's address or CORS; this server forwards to FOURFOLD_INDEXER_URL, read per request.
import { appSettings } from "@/lib/settings";

export const dynamic = "force-dynamic";

async function forward(request: Request, { params }: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const { path } = await params;
  const target = new URL(path.map(encodeURIComponent).join("/"), `${appSettings().indexerUrl}/`);
  target.search = new URL(request.url).search;
  try {
    const response = await fetch(target, {
      method: request.method,
      headers: { "content-type": request.headers.get("content-type") ?? "application/json" },
      body: request.method === "GET" ? undefined : await request.text(),
      cache: "no-store",
    });
    return new Response(response.body, {
      status: response.status,
      headers: { "content-type": response.headers.get("content-type") ?? "application/json" },
    });
  } catch (error) {
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : "";
    return Response.json({ error: `the indexer at ${target.origin} did not answer: ${reason}` }, { status: 502 });
  }
}

export { forward as GET, forward as POST };
