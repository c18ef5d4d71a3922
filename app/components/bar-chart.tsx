// A bar chart in SVG, for people who would rather look than read: each bar's value against the largest (or against
// `max`), with its own tooltip, and the whole described in words for screen readers and in the caption.
export interface Bar {
  key: string | number;
  /** 0 to max. */
  value: number;
  /** What a pointer over the bar (and a screen reader) is told. */
  title: string;
}

export function BarChart({
  bars,
  max,
  label,
  caption,
  height = 120,
}: {
  bars: Bar[];
  max?: number;
  label: string;
  caption: string;
  height?: number;
}) {
  const top = max ?? Math.max(0, ...bars.map((b) => b.value));
  const width = 10;
  const gap = 2;
  const inner = 80;
  // At least 24 slots, the bars on the right: a few bars stay bars, not a wall.
  const slots = Math.max(24, bars.length);
  const offset = slots - bars.length;
  return (
    <figure className="chart">
      <svg
        role="img"
        aria-label={label}
        viewBox={`0 0 ${slots * (width + gap)} ${inner + 2}`}
        preserveAspectRatio="none"
        width="100%"
        height={height}
      >
        {bars.map((b, i) => {
          const share = top > 0 ? Math.min(1, b.value / top) : 0;
          const h = Math.max(share > 0 ? 2 : 0, share * inner);
          return (
            <g key={b.key}>
              <rect x={(offset + i) * (width + gap)} y={0} width={width} height={inner} className="bar-bg" />
              <rect x={(offset + i) * (width + gap)} y={inner - h} width={width} height={h} className="bar-fg">
                <title>{b.title}</title>
              </rect>
            </g>
          );
        })}
      </svg>
      <figcaption className="muted">
        {label}. {caption}
      </figcaption>
    </figure>
  );
}
