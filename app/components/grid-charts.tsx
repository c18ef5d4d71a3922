"use client";
// The grid at a glance, under Explore's list: capacity online and how much of it is leased, the regions with the
// most nodes (online of all, free cores of online cores), and how the price of a core-hour is spread over online
// nodes. From the indexer's GET /stats, loaded after the list so it never delays it.
import { useQuery } from "@tanstack/react-query";
import { disk, fold, memory } from "@/lib/format";
import { rest } from "@/lib/indexer";
import { BarChart } from "./bar-chart";

interface Stats {
  nodes: { total: number; online: number };
  capacityOnline: { cpu: string; memoryMiB: string; ssdGiB: string; hddGiB: string; gpus: string };
  leased: { leases: number; cpu: string; memoryMiB: string; ssdGiB: string; hddGiB: string; gpus: string };
  pricesOnline: { cpu: { min: string | null; median: string | null; max: string | null } };
  cpuPriceHistogram: { from: string; to: string; nodes: number }[];
  regions: { region: string; nodes: number; online: number; cpuOnline: string; cpuFree: string }[];
}

/** A labelled horizontal bar: `part` of `whole`. */
function Meter({ label, part, whole, text }: { label: string; part: number; whole: number; text: string }) {
  const share = whole > 0 ? Math.min(1, part / whole) : 0;
  return (
    <div className="meter-row">
      <span className="meter-label">{label}</span>
      <span className="meter" role="img" aria-label={`${label}: ${text}`}>
        <span className="meter-fill" style={{ width: `${(share * 100).toFixed(1)}%` }} />
      </span>
      <span className="meter-text">{text}</span>
    </div>
  );
}

export function GridCharts() {
  const stats = useQuery({ queryKey: ["stats"], queryFn: () => rest<Stats>("stats"), refetchInterval: 30_000 });
  if (stats.isPending) return <p aria-live="polite">Loading the grid's figures…</p>;
  if (stats.isError)
    return (
      <p role="alert" className="error">
        Could not load the grid's figures: {stats.error.message}
      </p>
    );
  const { nodes, capacityOnline: total, leased, pricesOnline, cpuPriceHistogram, regions } = stats.data;
  const n = (v: string) => Number(v);
  return (
    <div className="cards">
      <section className="card" aria-labelledby="capacity-chart">
        <h2 id="capacity-chart">Capacity leased</h2>
        <p className="muted">
          {nodes.online} of {nodes.total} nodes online · {leased.leases} active leases
        </p>
        <Meter label="CPU cores" part={n(leased.cpu)} whole={n(total.cpu)} text={`${leased.cpu} of ${total.cpu}`} />
        <Meter
          label="Memory"
          part={n(leased.memoryMiB)}
          whole={n(total.memoryMiB)}
          text={`${memory(leased.memoryMiB)} of ${memory(total.memoryMiB)}`}
        />
        <Meter
          label="SSD"
          part={n(leased.ssdGiB)}
          whole={n(total.ssdGiB)}
          text={`${disk(leased.ssdGiB)} of ${disk(total.ssdGiB)}`}
        />
        <Meter label="GPUs" part={n(leased.gpus)} whole={n(total.gpus)} text={`${leased.gpus} of ${total.gpus}`} />
      </section>
      <section className="card" aria-labelledby="regions-chart">
        <h2 id="regions-chart">Regions</h2>
        {regions.length === 0 ? (
          <p>No node yet.</p>
        ) : (
          regions.map((r) => (
            <Meter
              key={r.region}
              label={r.region}
              part={r.online}
              whole={r.nodes}
              text={`${r.online} of ${r.nodes} online · ${r.cpuFree} of ${r.cpuOnline} cores free`}
            />
          ))
        )}
      </section>
      <section className="card" aria-labelledby="prices-chart">
        <h2 id="prices-chart">Price of a core-hour</h2>
        {cpuPriceHistogram.length === 0 || pricesOnline.cpu.min === null ? (
          <p>No node is online.</p>
        ) : (
          <BarChart
            bars={cpuPriceHistogram.map((b) => ({
              key: b.from,
              value: b.nodes,
              title: `${fold(b.from, 6)} to ${fold(b.to, 6)} FOLD: ${b.nodes} node${b.nodes === 1 ? "" : "s"}`,
            }))}
            label={`Online nodes by price per core-hour, from ${fold(pricesOnline.cpu.min, 6)} to ${fold(
              pricesOnline.cpu.max ?? "0",
              6,
            )} FOLD (median ${fold(pricesOnline.cpu.median ?? "0", 6)})`}
            caption="Each bar is an equal range of prices, the cheapest on the left."
            height={100}
          />
        )}
      </section>
    </div>
  );
}
