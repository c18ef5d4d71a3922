// How the app server forwards /indexer/* to the indexer (app/app/indexer/[...path]/route.ts): the browser never needs
// the indexer's address or CORS. An indexer that does not answer is a 502, and one that answers too slowly a 504,
// each saying so in words the pages show (they retry on their own, and recover when the indexer is back).

/** Longer than the indexer's own limit on a request (10 s, indexer/src/api/limits.ts), so its 503 arrives first. */
export const INDEXER_TIMEOUT_MS = 15_000;

export async function forwardToIndexer(
  request: Request,
  indexerUrl: string,
  path: readonly string[],
  timeoutMs: number = INDEXER_TIMEOUT_MS,
): Promise<Response> {
  const target = new URL(path.map(encodeURIComponent).join("/"), `${indexerUrl}/`);
  target.search = new URL(request.url).search;
  try {
    const response = await fetch(target, {
      method: request.method,
      headers: { "content-type": request.headers.get("content-type") ?? "application/json" },
      body: request.method === "GET" ? undefined : await request.text(),
      cache: "no-store",
      signal: AbortSignal.timeout(timeoutMs),
    });
    return new Response(response.body, {
      status: response.status,
      headers: { "content-type": response.headers.get("content-type") ?? "application/json" },
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      return Response.json(
        { error: `the indexer at ${target.origin} did not answer within ${timeoutMs / 1000} s` },
        { status: 504 },
      );
    }
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : "";
    return Response.json({ error: `the indexer at ${target.origin} is unreachable (${reason})` }, { status: 502 });
  }
}
