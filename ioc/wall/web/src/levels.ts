// The level of a live reading, for a device that changed between two tile loads. The tiles carry the
// server's own level (ioc/map/levels.py); these thresholds mirror it for the metrics that have levels, so a
// device recoloured by a live update and the same device in the next tile agree.

const THRESHOLDS: Record<string, { metric: string; bounds: number[] }> = {
  // Upper bounds of levels 0..3; above the last is level 4.
  water_level: { metric: "level_cm", bounds: [10, 20, 30, 50] },
  // PM2.5 breakpoints of the Vietnamese AQI (µg/m³): good, moderate, poor, bad, very bad and above.
  air_quality: { metric: "pm25", bounds: [25, 50, 80, 150] },
  noise: { metric: "laeq_db", bounds: [55, 65, 70, 80] },
};

export function levelOf(type: string, metrics: Record<string, number>): { level: number; metric: string; value: number } | null {
  const rule = THRESHOLDS[type];
  if (!rule) return null;
  const value = metrics[rule.metric];
  if (typeof value !== "number") return null;
  let level = rule.bounds.findIndex((bound) => value <= bound);
  if (level < 0) level = rule.bounds.length;
  return { level, metric: rule.metric, value };
}
