// "Inside the network": one <canvas> heatmap per layer. The input is the 28×28 image, hidden layers
// are near-square grids of neurons, the output is a labelled column 0–9. Pointer hover or keyboard
// focus (arrow keys move) reports the neuron under inspection through `onInspect`.

import { css, diverging, ink, sequential } from "./colors.js";

const MAX_GRID = 208; // CSS pixels a grid aims for, so layers line up at a similar size...
const MIN_GRID = 120; // ...shrinking (down to this) so that every layer fits on one row.
const ARROW_SPACE = 48; // an arrow between two layers, with the gaps around it
const LABEL_WIDTH = 22; // room for the 0–9 labels left of the output column
const VALUE_WIDTH = 50; // room for the probabilities right of it

export function layerTitle(detail, count) {
  if (detail.index === 0) return "Input";
  if (detail.index === count - 1) return "Output";
  return `Hidden layer ${detail.index}`;
}

function activationLabel(name) {
  const names = { relu: "ReLU", leaky_relu: "leaky ReLU", sigmoid: "sigmoid", tanh: "tanh", softmax: "softmax" };
  return names[name] ?? name;
}

/** Columns of a hidden layer's grid: a divisor of its size near the square root when there is
 *  one (32 neurons: 8 × 4, no ragged last row), else the square root rounded up. */
function gridColumns(size) {
  const root = Math.sqrt(size);
  for (let cols = Math.ceil(root); cols <= Math.floor(root * 2); cols += 1) {
    if (size % cols === 0) return cols;
  }
  return Math.ceil(root);
}

/** Grid geometry of a layer, in CSS pixels; `target` is the grid's largest side. */
function geometry(detail, isOutput, target) {
  if (isOutput) {
    const cell = Math.min(24, Math.max(12, Math.floor(target / detail.size)));
    const cellWidth = 40;
    return {
      cols: 1,
      rows: detail.size,
      cell,
      cellWidth,
      gap: 2,
      left: LABEL_WIDTH,
      width: LABEL_WIDTH + cellWidth + VALUE_WIDTH,
    };
  }
  const cols = detail.size === 784 ? 28 : gridColumns(detail.size);
  const rows = Math.ceil(detail.size / cols);
  const cell = Math.max(3, Math.floor(target / Math.max(cols, rows)));
  const gap = cell >= 8 && detail.index !== 0 ? 1 : 0;
  return { cols, rows, cell, cellWidth: cell, gap, left: 0, width: cols * cell };
}

/** The grid size that puts all layers on one row of `width` pixels (narrow screens wrap instead). */
function gridTarget(width, count) {
  const output = LABEL_WIDTH + 40 + VALUE_WIDTH;
  const fit = Math.floor((width - output - ARROW_SPACE * (count - 1)) / Math.max(1, count - 1));
  if (fit < MIN_GRID) return Math.min(MAX_GRID, Math.max(MIN_GRID, width - 8));
  return Math.min(MAX_GRID, fit);
}

function colourScale(detail, isOutput) {
  if (detail.index === 0) return (v) => ink(v);
  if (isOutput) return (v) => sequential(v);
  const values = detail.values;
  let max = 0;
  let min = 0;
  for (const v of values) {
    if (v > max) max = v;
    if (v < min) min = v;
  }
  if (min < 0) {
    const m = Math.max(max, -min) || 1;
    return (v) => diverging(v / m);
  }
  return (v) => sequential(v / (max || 1));
}

export class LayerView {
  /**
   * @param {HTMLElement} container where the layer figures go
   * @param {HTMLElement} tooltip a floating element for "neuron k: value"
   * @param {{onInspect: Function, onLeave: Function}} callbacks
   */
  constructor(container, tooltip, { onInspect, onLeave }) {
    this.container = container;
    this.tooltip = tooltip;
    this.onInspect = onInspect;
    this.onLeave = onLeave;
    this.layers = [];
    this.signature = "";
    this.selected = new Map();
    this.details = null;
    // Grids are sized to the card, so a resize (or a phone turning) re-lays them out.
    let timer = 0;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (this.layers.length > 0 && this.details) this.render(this.details);
      }, 150);
    });
  }

  clear() {
    this.container.replaceChildren();
    this.details = null;
    this.layers = [];
    this.signature = "";
    this.selected.clear();
    this.#hideTooltip();
  }

  /** Draw every layer; figures are rebuilt only when the architecture changes. */
  render(details) {
    this.details = details;
    const target = gridTarget(this.container.clientWidth, details.length);
    const signature = `${target}/${details.map((d) => `${d.size}:${d.activation}`).join("|")}`;
    if (signature !== this.signature) this.#build(details, signature, target);
    details.forEach((detail, i) => {
      this.layers[i].detail = detail;
      this.#draw(this.layers[i]);
    });
  }

  #build(details, signature, target) {
    this.container.replaceChildren();
    this.selected.clear();
    this.signature = signature;
    this.layers = details.map((detail, i) => {
      const isOutput = i === details.length - 1;
      const geo = geometry(detail, isOutput, target);
      const figure = document.createElement("figure");
      figure.className = `layer${isOutput ? " layer--output" : ""}`;
      const caption = document.createElement("figcaption");
      const name = document.createElement("span");
      name.className = "layer__name";
      name.textContent = layerTitle(detail, details.length);
      const meta = document.createElement("span");
      meta.className = "layer__meta";
      meta.textContent =
        detail.index === 0
          ? "28 × 28 pixels"
          : `${detail.size} neurons · ${activationLabel(detail.activation)}`;
      caption.append(name, meta);
      const canvas = document.createElement("canvas");
      canvas.className = "layer-canvas";
      canvas.dataset.layer = String(i);
      canvas.tabIndex = 0;
      canvas.style.width = `${geo.width}px`;
      canvas.setAttribute(
        "aria-label",
        `${name.textContent}: ${meta.textContent}. Use the arrow keys to inspect single neurons.`,
      );
      figure.append(canvas, caption);
      if (i > 0) {
        // The direction the signal flows, between consecutive layers.
        const arrow = document.createElement("span");
        arrow.className = "layer-arrow";
        arrow.setAttribute("aria-hidden", "true");
        arrow.textContent = "→";
        this.container.append(arrow);
      }
      this.container.append(figure);
      const layer = { i, detail, geo, canvas, isOutput };
      this.#wire(layer);
      return layer;
    });
  }

  #wire(layer) {
    const { canvas } = layer;
    canvas.addEventListener("pointermove", (event) => {
      const neuron = this.#hit(layer, event);
      if (neuron === null) {
        this.#hideTooltip();
        return;
      }
      this.#inspect(layer, neuron, { x: event.clientX, y: event.clientY });
    });
    // Touch screens have no hover: a tap inspects the neuron under the finger.
    canvas.addEventListener("pointerdown", (event) => {
      const neuron = this.#hit(layer, event);
      if (neuron !== null) this.#inspect(layer, neuron, { x: event.clientX, y: event.clientY });
    });
    canvas.addEventListener("pointerleave", () => {
      if (document.activeElement !== canvas) this.#leave();
    });
    canvas.addEventListener("focus", () => {
      this.#inspect(layer, this.selected.get(layer.i) ?? 0, null);
    });
    canvas.addEventListener("blur", () => {
      this.selected.delete(layer.i);
      this.#draw(layer);
      this.#leave();
    });
    canvas.addEventListener("keydown", (event) => {
      const { cols } = layer.geo;
      const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols };
      const current = this.selected.get(layer.i) ?? 0;
      let next = null;
      if (event.key in moves) next = current + moves[event.key];
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = layer.detail.size - 1;
      if (next === null) return;
      event.preventDefault();
      this.#inspect(layer, Math.min(layer.detail.size - 1, Math.max(0, next)), null);
    });
  }

  #hit(layer, event) {
    const rect = layer.canvas.getBoundingClientRect();
    const { cols, cell, cellWidth, left } = layer.geo;
    // The canvas may be drawn smaller than its natural size on narrow screens.
    const k = layer.geo.width / rect.width;
    const x = (event.clientX - rect.left) * k - left;
    const y = (event.clientY - rect.top) * k;
    if (x < 0) return null;
    const col = Math.floor(x / cellWidth);
    const row = Math.floor(y / cell);
    if (col >= cols || row < 0) return null;
    const neuron = row * cols + col;
    return neuron < layer.detail.size ? neuron : null;
  }

  #inspect(layer, neuron, pointer) {
    const previous = this.selected.get(layer.i);
    this.selected.set(layer.i, neuron);
    if (previous !== neuron) this.#draw(layer);
    const { detail } = layer;
    const value = detail.values[neuron];
    const pre = detail.pre_activations ? detail.pre_activations[neuron] : null;
    const count = this.layers.length;
    let what = `neuron ${neuron}`;
    if (layer.i === 0) what = `pixel (${neuron % 28}, ${Math.floor(neuron / 28)})`;
    else if (layer.isOutput) what = `digit ${neuron}`;
    this.tooltip.textContent = `${layerTitle(detail, count)}, ${what}: ${formatValue(value)}`;
    this.tooltip.hidden = false;
    const anchor = pointer ?? this.#cellCentre(layer, neuron);
    const box = this.tooltip.getBoundingClientRect();
    const x = Math.min(window.innerWidth - box.width - 8, anchor.x + 14);
    const y = anchor.y - box.height - 10 < 8 ? anchor.y + 18 : anchor.y - box.height - 10;
    this.tooltip.style.left = `${Math.max(8, x)}px`;
    this.tooltip.style.top = `${y}px`;
    this.onInspect({ layer: layer.i, neuron, value, pre, detail, count });
  }

  #cellCentre(layer, neuron) {
    const rect = layer.canvas.getBoundingClientRect();
    const { cols, cell, cellWidth, left, width } = layer.geo;
    const k = rect.width / width;
    return {
      x: rect.left + k * (left + (neuron % cols) * cellWidth + cellWidth / 2),
      y: rect.top + k * (Math.floor(neuron / cols) * cell + cell / 2),
    };
  }

  #leave() {
    this.#hideTooltip();
    this.onLeave();
  }

  #hideTooltip() {
    this.tooltip.hidden = true;
  }

  #draw(layer) {
    const { canvas, geo, detail, isOutput } = layer;
    const dpr = window.devicePixelRatio || 1;
    const width = geo.width;
    const height = geo.rows * geo.cell;
    if (canvas.width !== Math.round(width * dpr)) canvas.width = Math.round(width * dpr);
    if (canvas.height !== Math.round(height * dpr)) canvas.height = Math.round(height * dpr);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const scale = colourScale(detail, isOutput);
    const { cols, cell, cellWidth, gap, left } = geo;
    for (let n = 0; n < detail.size; n += 1) {
      const x = left + (n % cols) * cellWidth;
      const y = Math.floor(n / cols) * cell;
      ctx.fillStyle = css(scale(detail.values[n]));
      ctx.fillRect(x, y, cellWidth - gap, cell - gap);
    }
    if (isOutput) this.#drawOutputLabels(ctx, layer);
    const selected = this.selected.get(layer.i);
    if (selected !== undefined) {
      const x = left + (selected % cols) * cellWidth;
      const y = Math.floor(selected / cols) * cell;
      const w = cellWidth - gap;
      const h = cell - gap;
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#ffffff";
      ctx.strokeRect(x + 1, y + 1, w - 2, h - 2);
      ctx.lineWidth = 1;
      ctx.strokeStyle = "#111111";
      ctx.strokeRect(x - 0.5, y - 0.5, w + 1, h + 1);
    }
  }

  /** Digits left of the output column, the values (probabilities for softmax) right of it. */
  #drawOutputLabels(ctx, layer) {
    const { values, activation } = layer.detail;
    const { cell, cellWidth, left, gap } = layer.geo;
    const best = values.indexOf(Math.max(...values));
    const percent = activation === "softmax";
    ctx.textBaseline = "middle";
    for (let n = 0; n < values.length; n += 1) {
      const y = n * cell + (cell - gap) / 2 + 1;
      ctx.font = `${n === best ? "700" : "400"} 12px system-ui, sans-serif`;
      ctx.fillStyle = n === best ? "#1d2330" : "#4a5568";
      ctx.textAlign = "right";
      ctx.fillText(String(n), left - 7, y);
      ctx.textAlign = "left";
      ctx.font = `${n === best ? "700" : "400"} 11px system-ui, sans-serif`;
      const text = percent ? `${(values[n] * 100).toFixed(values[n] >= 0.995 ? 0 : 1)}%` : formatValue(values[n]);
      ctx.fillText(text, left + cellWidth + 6, y);
    }
  }
}

export function formatValue(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 0.001 || abs >= 10000)) return value.toExponential(2);
  return value.toFixed(abs >= 100 ? 1 : 3);
}
