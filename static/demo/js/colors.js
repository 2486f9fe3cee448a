// Colour scales for the heatmaps. Stops are sampled from matplotlib's viridis (sequential) and
// ColorBrewer's RdBu (diverging), so the page matches the training plots.

const VIRIDIS = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
];

const RDBU = [
  [33, 102, 172],
  [67, 147, 195],
  [146, 197, 222],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [244, 165, 130],
  [214, 96, 77],
  [178, 24, 43],
];

function interpolate(stops, t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f));
}

/** 0..1 → viridis RGB. */
export function sequential(t) {
  return interpolate(VIRIDIS, t);
}

/** -1..1 → blue (negative), white (0), red (positive). */
export function diverging(t) {
  return interpolate(RDBU, (t + 1) / 2);
}

/** 0..1 ink → white paper with dark ink, like the drawing canvas. */
export function ink(t) {
  const v = Math.round(255 * (1 - Math.min(1, Math.max(0, t))));
  return [v, v, v];
}

export function css([r, g, b]) {
  return `rgb(${r} ${g} ${b})`;
}

export const SEQUENTIAL_GRADIENT = `linear-gradient(90deg, ${VIRIDIS.map((c) => css(c)).join(", ")})`;
export const DIVERGING_GRADIENT = `linear-gradient(90deg, ${RDBU.map((c) => css(c)).join(", ")})`;

/** Paint a 28×28 (or any w×h) array of values into a canvas of exactly that size. */
export function paintPixels(canvas, values, width, height, scale) {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i += 1) {
    const [r, g, b] = scale(values[i] ?? 0);
    image.data.set([r, g, b, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}

let probe = null;

/** A theme colour (a CSS custom property such as "--text") resolved to rgb(), for canvases. */
export function themeColour(name) {
  if (!probe) {
    probe = document.createElement("span");
    probe.hidden = true;
    document.body.append(probe);
  }
  probe.style.color = `var(${name})`;
  return getComputedStyle(probe).color;
}
