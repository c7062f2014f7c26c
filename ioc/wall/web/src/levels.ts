// The level of a live reading, for a device that changed between two tile loads. The tiles carry the
// server's own level (ioc/map/levels.py); the page reads the same scales from its config, so a device
// recoloured by a live update and the same device in the next tile agree.

export interface LevelScale {
  metric: string;
  // A reading at or above thresholds[i] is at level i + 1.
  thresholds: number[];
}

export function levelOf(
  scales: Record<string, LevelScale>,
  type: string,
  metrics: Record<string, number>,
): { level: number; metric: string; value: number } | null {
  const scale = scales[type];
  if (!scale) return null;
  const value = metrics[scale.metric];
  if (typeof value !== "number") return null;
  const level = scale.thresholds.filter((threshold) => value >= threshold).length;
  return { level, metric: scale.metric, value };
}
