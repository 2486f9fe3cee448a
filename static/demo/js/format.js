// Numbers for people: every percentage, value, size and duration the page prints is formatted here,
// so the same quantity reads the same in every panel.

/** A probability (0..1) as a percentage; under 0.05 % it is "<0.1%" rather than a misleading 0.0 %. */
export function formatPercent(p) {
  if (!Number.isFinite(p)) return "–";
  if (p >= 0.995) return `${(p * 100).toFixed(0)}%`;
  if (p > 0 && p < 0.0005) return "<0.1%";
  return `${(p * 100).toFixed(1)}%`;
}

/** An activation, weight or score: three decimals, exponent notation for very small or large ones. */
export function formatValue(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 0.001 || abs >= 10000)) return value.toExponential(2);
  return value.toFixed(abs >= 100 ? 1 : 3);
}

/** A test accuracy, already in percent (the API's unit). */
export function formatAccuracy(value) {
  return Number.isFinite(value) ? `${value.toFixed(1)}%` : "not measured";
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatDuration(seconds) {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 90) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
