// Honest answers: is this a digit at all, and is the model sure? Two independent checks.
// The ink check looks at the input itself (too little ink, a dot, a flat line, a filled blob);
// the model check looks at the probabilities (entropy, the margin between the two best digits).

const LOG2 = Math.log(2);

/**
 * Ink statistics of a greyscale image (values 0..1, 1 = ink), `width` × `height` pixels.
 * @returns {{ink: number, extent: number, aspect: number, density: number}} ink: share of inked
 *   pixels; extent: the ink's bounding box's longer side over the image's; aspect: its height over
 *   its width; density: the share of the bounding box that is inked.
 */
export function inkStats(values, width, height, threshold = 0.2) {
  let count = 0;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      if (values[y * width + x] < threshold) continue;
      count += 1;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (count === 0) return { ink: 0, extent: 0, aspect: 1, density: 0 };
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  return { ink: count / (width * height), extent: Math.max(w / width, h / height), aspect: h / w, density: count / (w * h) };
}

/** Entropy of a distribution in bits (0: certain; log2(10) ≈ 3.32: no idea). */
export function entropyBits(probabilities) {
  let h = 0;
  for (const p of probabilities) if (p > 0) h -= p * (Math.log(p) / LOG2);
  return h;
}

/**
 * The verdict shown with a prediction.
 * @returns {{kind: "confident"|"unsure"|"not-a-digit", headline: string, reasons: string[], entropy: number, margin: number}}
 */
export function assess(probabilities, stats) {
  const sorted = [...probabilities].sort((a, b) => b - a);
  const margin = sorted[0] - sorted[1];
  const entropy = entropyBits(probabilities);
  const digit = probabilities.indexOf(sorted[0]);
  const second = probabilities.indexOf(sorted[1]);
  const reasons = [];
  if (stats) {
    if (stats.ink === 0) reasons.push("there is no ink");
    else if (stats.extent < 0.1) reasons.push("the ink is a dot, far smaller than a digit");
    else if (stats.aspect < 0.3) reasons.push("the ink is a flat line — no digit is that wide and that low");
    else if (stats.density > 0.72 && stats.extent > 0.3) reasons.push("the ink fills most of its box, like a scribble");
  }
  if (reasons.length > 0) {
    return {
      kind: "not-a-digit",
      headline: `Not a digit? ${reasons[0][0].toUpperCase()}${reasons[0].slice(1)}.`,
      reasons,
      entropy,
      margin,
      digit,
    };
  }
  if (sorted[0] < 0.6 || margin < 0.3 || entropy > 1.2) {
    return {
      kind: "unsure",
      headline: `Unsure: ${digit} or ${second}? (${(sorted[0] * 100).toFixed(0)} % against ${(sorted[1] * 100).toFixed(0)} %.)`,
      reasons: [`margin ${(margin * 100).toFixed(0)} points`, `entropy ${entropy.toFixed(2)} bits`],
      entropy,
      margin,
    };
  }
  return { kind: "confident", headline: "", reasons: [], entropy, margin };
}
