// "Inside the network", neuron view (after 3Blue1Brown): every layer a column of circles, filled
// as brightly as the neuron is active. The input is its 28 × 28 pixels as small dots; a wide
// hidden layer shows its most active neurons (in index order, the count is said); feature-map
// layers show one circle per map (its mean). The same connection lines run between the columns.

import { css, sequential, themeColour } from "./colors.js";
import { svgEl as el } from "./dom.js";
import { isPassThrough, layerMeta, layerTitle, mapShape } from "./explain.js";
import { formatPercent, formatValue } from "./format.js";
import { placeTooltip } from "./tooltip.js";

const MAX_SHOWN = 16;
const HEIGHT = 300;
const TOP = 34;

/** Which neurons of a layer get a circle: all of a small layer, else the most active ones. */
function shownNeurons(detail, isOutput) {
  const maps = mapShape(detail);
  if (maps && detail.index !== 0) return { units: Array.from({ length: maps[0] }, (_, c) => c), perMap: maps[1] * maps[2] };
  if (isOutput || detail.size <= MAX_SHOWN) return { units: Array.from({ length: detail.size }, (_, i) => i), perMap: 1 };
  const order = detail.values.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
  return { units: order.slice(0, MAX_SHOWN).map(([, i]) => i).sort((a, b) => a - b), perMap: 1 };
}

export class NeuronView {
  constructor(container, tooltip, { onInspect, onLeave }) {
    this.container = container;
    this.tooltip = tooltip;
    this.onInspect = onInspect;
    this.onLeave = onLeave;
    this.columns = new Map();
    this.details = null;
    this.svg = null;
  }

  clear() {
    this.container.replaceChildren();
    this.columns.clear();
    this.details = null;
  }

  render(details) {
    this.details = details;
    this.columns.clear();
    const visible = details.filter((d, i) => i === 0 || i === details.length - 1 || !isPassThrough(d));
    const width = Math.max(300, this.container.clientWidth);
    const svg = el("svg", { class: "neurons", viewBox: `0 0 ${width} ${HEIGHT}`, width, height: HEIGHT, role: "group", "aria-label": "The network as neurons in columns" });
    const links = el("g", { class: "neurons__links" });
    svg.append(links);
    // The input's dot grid is 129 px wide around x = 72; the other columns share the rest.
    const first = 240;
    const last = width - 70;
    const step = visible.length > 2 ? (last - first) / (visible.length - 2) : 0;
    visible.forEach((detail, k) => {
      const i = detail.index ?? details.indexOf(detail);
      const isOutput = i === details.length - 1;
      const x = k === 0 ? 72 : isOutput ? last : first + (k - 1) * step;
      const group = el("g", { class: "neurons__column", tabindex: 0, "data-layer": i, role: "img" });
      const title = layerTitle(detail, details);
      group.setAttribute("aria-label", `${title}: ${layerMeta(detail)}. Use the arrow keys to inspect its neurons.`);
      const label = el("text", { x, y: 14, class: "neurons__title" });
      label.textContent = title;
      const meta = el("text", { x, y: 27, class: "neurons__meta" });
      group.append(label, meta);
      const column = { i, detail, group, positions: new Map(), order: [], cursor: 0, isOutput };
      if (i === 0) {
        meta.textContent = "784 pixels";
        this.#drawInput(group, column, detail, x);
      } else {
        const { units, perMap } = shownNeurons(detail, isOutput);
        meta.textContent = units.length < detail.size / perMap ? `${units.length} most active of ${detail.size}` : layerMeta(detail);
        this.#drawUnits(group, column, detail, x, units, perMap, isOutput);
      }
      this.columns.set(i, column);
      this.#wire(column);
      svg.append(group);
    });
    this.svg = svg;
    this.links = links;
    this.container.replaceChildren(svg);
  }

  #drawInput(group, column, detail, cx) {
    const dot = 4.6;
    const left = cx - 14 * dot;
    const top = TOP + (HEIGHT - TOP - 28 * dot) / 2;
    for (let n = 0; n < 784; n += 1) {
      const x = left + (n % 28) * dot + dot / 2;
      const y = top + Math.floor(n / 28) * dot + dot / 2;
      const v = detail.values[n];
      column.positions.set(n, { x, y });
      if (v <= 0.05) continue;
      group.append(el("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: (dot / 2) * 0.95, fill: themeColour("--text"), "fill-opacity": v.toFixed(2), "data-neuron": n, class: "neurons__pixel" }));
    }
    group.prepend(el("rect", { x: left, y: top, width: 28 * dot, height: 28 * dot, rx: 4, class: "neurons__paper" }));
    column.order = [...Array(784).keys()];
  }

  #drawUnits(group, column, detail, cx, units, perMap, isOutput) {
    const gap = (HEIGHT - TOP - 10) / units.length;
    const r = Math.max(4, Math.min(11, gap / 2 - 2));
    let values = units.map((u) => detail.values[u]);
    if (perMap > 1) {
      values = units.map((c) => {
        let sum = 0;
        for (let n = 0; n < perMap; n += 1) sum += detail.values[c * perMap + n];
        return sum / perMap;
      });
    }
    const max = Math.max(...values.map(Math.abs)) || 1;
    const best = isOutput ? detail.values.indexOf(Math.max(...detail.values)) : -1;
    units.forEach((unit, k) => {
      const y = TOP + 5 + gap * (k + 0.5);
      const t = isOutput && detail.activation === "softmax" ? values[k] : Math.max(0, values[k]) / max;
      const circle = el("circle", { cx, cy: y.toFixed(1), r, fill: css(sequential(t)), class: "neurons__unit", "data-neuron": unit * perMap });
      if (unit === best) circle.classList.add("is-best");
      group.append(circle);
      column.positions.set(unit * perMap, { x: cx, y });
      if (perMap > 1) for (let n = 0; n < perMap; n += 1) column.positions.set(unit * perMap + n, { x: cx, y });
      column.order.push(unit * perMap);
      if (isOutput) {
        const digit = el("text", { x: cx - r - 6, y: y + 4, class: `neurons__digit${unit === best ? " is-best" : ""}` });
        digit.textContent = String(unit);
        const value = el("text", { x: cx + r + 6, y: y + 4, class: "neurons__value" });
        value.textContent = detail.activation === "softmax" ? formatPercent(detail.values[unit]) : formatValue(detail.values[unit]);
        group.append(digit, value);
      }
    });
  }

  #wire(column) {
    const { group } = column;
    group.addEventListener("pointerover", (event) => {
      const neuron = event.target?.dataset?.neuron;
      if (neuron !== undefined) this.#inspect(column, Number(neuron), { x: event.clientX, y: event.clientY });
    });
    group.addEventListener("pointerleave", () => {
      if (document.activeElement !== group) this.#leave();
    });
    group.addEventListener("focus", () => this.#inspect(column, column.order[column.cursor] ?? 0, null));
    group.addEventListener("blur", () => this.#leave());
    group.addEventListener("keydown", (event) => {
      const moves = { ArrowUp: -1, ArrowLeft: -1, ArrowDown: 1, ArrowRight: 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      column.cursor = Math.min(column.order.length - 1, Math.max(0, column.cursor + moves[event.key]));
      this.#inspect(column, column.order[column.cursor], null);
    });
  }

  #inspect(column, neuron, pointer) {
    for (const node of this.svg.querySelectorAll(".is-inspected")) node.classList.remove("is-inspected");
    column.group.querySelector(`[data-neuron="${neuron}"]`)?.classList.add("is-inspected");
    const { detail } = column;
    const title = layerTitle(detail, this.details);
    const what = column.i === 0 ? `pixel (${neuron % 28}, ${Math.floor(neuron / 28)})` : column.isOutput ? `digit ${neuron}` : `neuron ${neuron}`;
    const value = detail.values[neuron];
    const at = column.positions.get(neuron);
    const box = this.svg.getBoundingClientRect();
    placeTooltip(this.tooltip, `${title}, ${what}: ${formatValue(value)}`, pointer ?? { x: box.left + at.x, y: box.top + at.y });
    this.onInspect({ layer: column.i, neuron, value, pre: detail.pre_activations?.[neuron] ?? null, detail, details: this.details, what, title });
  }

  #leave() {
    for (const node of this.svg?.querySelectorAll(".is-inspected") ?? []) node.classList.remove("is-inspected");
    this.hideTooltip();
    this.onLeave();
  }

  hideTooltip() {
    this.tooltip.hidden = true;
  }

  /** Whether a neuron has a circle (connection lines only join drawn neurons). */
  isShown(index, neuron) {
    let column = this.columns.get(index);
    for (let i = index; !column && i > 0; i -= 1) column = this.columns.get(i - 1);
    if (!column) return false;
    if (column.i === 0) return true;
    return column.positions.has(neuron);
  }

  centreOf(index, neuron, box) {
    let column = this.columns.get(index);
    for (let i = index; !column && i > 0; i -= 1) column = this.columns.get(i - 1);
    const at = column?.positions.get(neuron);
    if (!at || !this.svg) return null;
    const rect = this.svg.getBoundingClientRect();
    return { x: rect.left - box.left + at.x, y: rect.top - box.top + at.y };
  }

  /** The lines go into this view's own SVG, under the circles. */
  get overlay() {
    return this.links;
  }
}
