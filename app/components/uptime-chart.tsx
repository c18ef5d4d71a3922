// A node's proven uptime per hour, as bars: the share of each hour its heartbeats proved it online (the current hour
// against the part of it that has passed). Hours without a heartbeat are empty bars.
import { BarChart } from "./bar-chart";

const HOUR = 3_600;

export interface UptimeHour {
  hour: string;
  onlineSeconds: string;
  heartbeats: number;
}

export function UptimeChart({ rows, now, hours = 48 }: { rows: UptimeHour[]; now: number; hours?: number }) {
  const current = now - (now % HOUR);
  const byHour = new Map(rows.map((r) => [Number(r.hour), r]));
  const bars = Array.from({ length: hours }, (_, i) => {
    const hour = current - (hours - 1 - i) * HOUR;
    const span = hour === current ? Math.max(1, now - hour) : HOUR;
    const online = Number(byHour.get(hour)?.onlineSeconds ?? 0);
    const share = Math.min(1, online / span);
    const heartbeats = byHour.get(hour)?.heartbeats ?? 0;
    const when = new Date(hour * 1000).toISOString().slice(0, 13).replace("T", " ");
    return {
      key: hour,
      value: share,
      title: `${when}:00 UTC: ${Math.round(share * 100)}% (${heartbeats} heartbeat${heartbeats === 1 ? "" : "s"})`,
    };
  });
  const average = bars.reduce((sum, b) => sum + b.value, 0) / bars.length;
  return (
    <BarChart
      bars={bars}
      max={1}
      label={`Proven uptime over the last ${hours} hours: ${Math.round(average * 100)}% on average`}
      caption="Each bar is an hour (UTC), the newest on the right."
    />
  );
}
