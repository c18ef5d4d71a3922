// The indexer as the browser reaches it: its REST routes and GraphQL, through the app's /indexer/* routes.

/** GET `route` (e.g. "nodes?minCpu=2"); a non-200 answer throws with the indexer's message. */
export async function rest<T>(route: string): Promise<T> {
  const response = await fetch(`/indexer/${route}`);
  const body = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `the indexer answered ${response.status}`);
  return body;
}

/** A GraphQL query's data; its first error throws. */
export async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch("/indexer/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json().catch(() => ({}))) as {
    data?: T;
    errors?: { message: string }[];
    error?: string;
  };
  if (body.errors?.length) throw new Error(body.errors[0]?.message);
  if (!response.ok || body.data === undefined) throw new Error(body.error ?? `the indexer answered ${response.status}`);
  return body.data;
}
