// The connection lines between layers: for the current input, the strongest contributions
// (weight × activation) into each dense layer, red for positive and blue for negative, thicker
// for larger. Drawn in an SVG under the layer drawings; on each new prediction the signal sweeps
// through the network layer by layer (not when the user prefers reduced motion).

import { svgEl } from "./dom.js";

const POSITIVE = "#c0392b";
const NEGATIVE = "#2e6fb7";

/** An S-curve from `a` to `b`, leaving and arriving along the direction the layers are laid out
 *  in (left to right on wide screens, top to bottom when they are stacked on a phone). */
function curve(a, b) {
  const f = (v) => v.toFixed(1);
  if (Math.abs(b.y - a.y) > Math.abs(b.x - a.x)) {
    const midY = (a.y + b.y) / 2;
    return `M${f(a.x)},${f(a.y)} C${f(a.x)},${f(midY)} ${f(b.x)},${f(midY)} ${f(b.x)},${f(b.y)}`;
  }
  const midX = (a.x + b.x) / 2;
  return `M${f(a.x)},${f(a.y)} C${f(midX)},${f(a.y)} ${f(midX)},${f(b.y)} ${f(b.x)},${f(b.y)}`;
}

export function prefersReducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

/**
 * @param {SVGElement} svg the overlay <svg> (as large as the layers' container), or a <g> to fill
 * @param {{from: {x: number, y: number}, to: {x: number, y: number}, value: number, gap: number}[]} lines
 * @param {{animate: boolean, width: number, height: number}} options
 */
export function drawFlow(svg, lines, { animate, width, height }) {
  if (svg.tagName === "svg") {
    svg.setAttribute("viewBox", `0 0 ${Math.max(1, width)} ${Math.max(1, height)}`);
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
  }
  const group = svgEl("g");
  // Each gap is scaled on its own: the input's contributions are small numbers, the output's large.
  const maxByGap = new Map();
  for (const line of lines) maxByGap.set(line.gap, Math.max(maxByGap.get(line.gap) ?? 0, Math.abs(line.value)));
  // Weakest first, so the strongest lines are drawn on top.
  const ordered = [...lines].sort((a, b) => Math.abs(a.value) - Math.abs(b.value));
  for (const line of ordered) {
    const share = Math.abs(line.value) / (maxByGap.get(line.gap) || 1);
    const path = svgEl("path");
    path.setAttribute("d", curve(line.from, line.to));
    path.setAttribute("stroke", line.value >= 0 ? POSITIVE : NEGATIVE);
    // Width proportional to the contribution (the strongest of its gap is 4 px wide).
    path.setAttribute("stroke-width", (4 * share).toFixed(3));
    path.setAttribute("stroke-opacity", (0.25 + 0.65 * share).toFixed(2));
    path.setAttribute("fill", "none");
    path.setAttribute("pathLength", "1");
    path.setAttribute("class", "flow__line");
    path.dataset.sign = line.value >= 0 ? "positive" : "negative";
    path.dataset.gap = String(line.gap);
    path.dataset.value = String(line.value);
    if (animate) {
      path.classList.add("flow__line--animated");
      path.style.setProperty("--flow-delay", `${line.gap * 220}ms`);
    }
    group.append(path);
  }
  svg.replaceChildren(group);
  svg.dataset.lines = String(lines.length);
  svg.dataset.animated = String(animate);
}
