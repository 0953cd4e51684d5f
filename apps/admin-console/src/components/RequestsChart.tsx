import { Group, Text } from '@mantine/core';
import type { MinuteCount } from '../api';

const WIDTH = 720;
const HEIGHT = 140;
const MINUTES = 60;

/**
 * Token requests per minute over the last hour, success stacked under failure, drawn as
 * plain SVG (no script or style of its own, so the CSP needs nothing more). The numbers
 * are also in the label, for screen readers.
 */
export function RequestsChart({ counts, end }: { counts: MinuteCount[]; end: Date }) {
  const endMinute = Math.floor(end.getTime() / 60_000);
  const byMinute = new Map(counts.map((count) => [Math.floor(new Date(count.minute).getTime() / 60_000), count]));
  const bars = Array.from({ length: MINUTES }, (_, index) => {
    const minute = endMinute - MINUTES + 1 + index;
    const count = byMinute.get(minute);
    return { minute, success: count?.success ?? 0, failure: count?.failure ?? 0 };
  });
  const total = bars.reduce((sum, bar) => ({ success: sum.success + bar.success, failure: sum.failure + bar.failure }), { success: 0, failure: 0 });
  const peak = Math.max(1, ...bars.map((bar) => bar.success + bar.failure));
  const barWidth = WIDTH / MINUTES;
  const scale = (value: number) => (value / peak) * (HEIGHT - 16);
  const label = `Token requests per minute, last hour: ${total.success} succeeded, ${total.failure} failed; at most ${peak} in one minute.`;
  return (
    <figure style={{ margin: 0 }}>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT + 14}`} width="100%" role="img" aria-label={label} data-testid="requests-chart">
        <line x1={0} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} stroke="#868e96" strokeWidth={1} />
        <text x={2} y={10} fontSize={10} fill="#495057">
          {peak}/min
        </text>
        {bars.map((bar, index) => {
          const success = scale(bar.success);
          const failure = scale(bar.failure);
          const x = index * barWidth + 1;
          return (
            <g key={bar.minute}>
              {bar.success > 0 && <rect x={x} y={HEIGHT - success} width={barWidth - 2} height={success} fill="#2b8a3e" />}
              {bar.failure > 0 && <rect x={x} y={HEIGHT - success - failure} width={barWidth - 2} height={failure} fill="#c92a2a" />}
            </g>
          );
        })}
        <text x={0} y={HEIGHT + 12} fontSize={10} fill="#495057">
          −60 min
        </text>
        <text x={WIDTH} y={HEIGHT + 12} fontSize={10} fill="#495057" textAnchor="end">
          now
        </text>
      </svg>
      <Group gap="md" mt={4} component="figcaption">
        <Text size="sm">
          <span aria-hidden style={{ color: '#2b8a3e' }}>■</span> success: {total.success}
        </Text>
        <Text size="sm">
          <span aria-hidden style={{ color: '#c92a2a' }}>■</span> failure: {total.failure}
        </Text>
      </Group>
    </figure>
  );
}
