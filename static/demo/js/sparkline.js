// The confidence history of one drawing: after every live prediction while the user draws, the
// probabilities of the digits that led at some point, as small lines (newest on the right).

import { svgEl as el } from "./dom.js";

const COLOURS = ["#3b4cca", "#c2410c", "#0f7b5f", "#9d174d"];
const W = 260;
const H = 56;

/** The (up to 3) digits worth a line: those with the highest peak probability over the history. */
export function leadingDigits(history, count = 3) {
  const peaks = Array.from({ length: 10 }, (_, d) => Math.max(...history.map((p) => p[d])));
  return peaks
    .map((peak, digit) => [peak, digit])
    .sort((a, b) => b[0] - a[0])
    .slice(0, count)
    .filter(([peak]) => peak > 0.05)
    .map(([, digit]) => digit);
}

/**
 * @param {HTMLElement} container
 * @param {number[][]} history one probability vector per prediction, oldest first
 */
export function renderSparkline(container, history) {
  if (history.length < 2) {
    container.hidden = true;
    container.replaceChildren();
    return;
  }
  container.hidden = false;
  const digits = leadingDigits(history);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "sparkline__chart", role: "img" });
  const x = (i) => 4 + (i / (history.length - 1)) * (W - 8);
  const y = (p) => H - 4 - p * (H - 8);
  svg.append(el("line", { x1: 4, x2: W - 4, y1: y(0.5), y2: y(0.5), class: "sparkline__half" }));
  const legend = document.createElement("p");
  legend.className = "sparkline__legend";
  const parts = [];
  digits.forEach((digit, k) => {
    const points = history.map((p, i) => `${x(i).toFixed(1)},${y(p[digit]).toFixed(1)}`).join(" ");
    svg.append(el("polyline", { points, stroke: COLOURS[k], class: "sparkline__line", "data-digit": digit }));
    const key = document.createElement("span");
    key.className = "sparkline__key";
    const swatch = document.createElement("span");
    swatch.className = "sparkline__swatch";
    swatch.style.background = COLOURS[k];
    const last = history[history.length - 1][digit];
    key.append(swatch, `${digit}: ${(last * 100).toFixed(0)} %`);
    legend.append(key);
    parts.push(`${digit} from ${(history[0][digit] * 100).toFixed(0)} % to ${(last * 100).toFixed(0)} %`);
  });
  svg.setAttribute("aria-label", `Confidence over ${history.length} predictions while drawing: ${parts.join(", ")}.`);
  container.dataset.points = String(history.length);
  container.replaceChildren(svg, legend);
}
