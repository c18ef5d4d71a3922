import { GridCharts } from "@/components/grid-charts";
import { NodeExplorer } from "@/components/node-explorer";
import { NO_FILTERS, type NodesPage, nodesQuery, PAGE } from "@/lib/nodes";
import { appSettings } from "@/lib/settings";

/** The first page of nodes, fetched while the page is rendered so the list is in its HTML; if the indexer does not
 * answer within 2 s, the browser asks again (and shows why it cannot). */
async function firstPage(): Promise<{ query: string; page: NodesPage } | undefined> {
  const { query } = nodesQuery(NO_FILTERS, { limit: PAGE, offset: 0 });
  if (query === undefined) return undefined;
  try {
    const response = await fetch(`${appSettings().indexerUrl}/nodes?${query}`, {
      cache: "no-store",
      signal: AbortSignal.timeout(2_000),
    });
    return response.ok ? { query, page: (await response.json()) as NodesPage } : undefined;
  } catch {
    return undefined;
  }
}

export default async function ExplorePage() {
  return (
    <>
      <h1>Explore the grid</h1>
      <p className="lead">Nodes with free capacity, where they are, what an hour costs, and whether they are online.</p>
      <NodeExplorer initial={await firstPage()} />
      <GridCharts />
    </>
  );
}
