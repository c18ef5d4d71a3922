// A node's proven uptime per hour, as bars: the share of each hour its heartbeats proved it online (the current hour
// against the part of it that has passed). Hours without a heartbeat are empty bars.
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
    return { hour, share: Math.min(1, online / span), heartbeats: byHour.get(hour)?.heartbeats ?? 0 };
  });
  const average = bars.reduce((sum, b) => sum + b.share, 0) / bars.length;
  const width = 10;
  const gap = 2;
  const height = 80;
  const label = `Proven uptime over the last ${hours} hours: ${Math.round(average * 100)}% on average`;
  return (
    <figure className="chart">
      <svg
        role="img"
        aria-label={label}
        viewBox={`0 0 ${hours * (width + gap)} ${height + 2}`}
        preserveAspectRatio="none"
        width="100%"
        height="120"
      >
        {bars.map((b, i) => {
          const h = Math.max(b.share > 0 ? 2 : 0, b.share * height);
          const when = new Date(b.hour * 1000).toISOString().slice(0, 13).replace("T", " ");
          return (
            <g key={b.hour}>
              <rect x={i * (width + gap)} y={0} width={width} height={height} className="bar-bg" />
              <rect x={i * (width + gap)} y={height - h} width={width} height={h} className="bar-fg">
                <title>{`${when}:00 UTC: ${Math.round(b.share * 100)}% (${b.heartbeats} heartbeat${b.heartbeats === 1 ? "" : "s"})`}</title>
              </rect>
            </g>
          );
        })}
      </svg>
      <figcaption className="muted">{label}. Each bar is an hour (UTC), the newest on the right.</figcaption>
    </figure>
  );
}
