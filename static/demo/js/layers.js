// "Inside the network", grid view: one <canvas> per layer. The input is the 28×28 image, dense
// layers are near-square grids of neurons, convolution and pooling layers are their feature maps
// as small multiples (channels × height × width, kernels as tiles underneath), the output is a
// labelled column 0–9. Flatten and dropout layers pass values on unchanged and are not drawn.
// Pointer hover or keyboard focus (arrow keys move) reports the neuron under inspection.

import { css, diverging, ink, sequential, themeColour } from "./colors.js";
import { formatPercent, formatValue } from "./format.js";
import { placeTooltip } from "./tooltip.js";
import { isPassThrough, layerMeta, layerTitle, layerType, mapShape } from "./explain.js";

const MAX_GRID = 150; // CSS pixels a grid aims for, so layers line up at a similar size...
const MIN_GRID = 96; // ...shrinking (down to this) so that every layer fits on one row.
const LINK_SPACE = 56; // room between two layers for the connection lines
const LABEL_WIDTH = 22; // room for the 0–9 labels left of the output column
const VALUE_WIDTH = 50; // room for the probabilities right of it
const MAP_GAP = 3; // pixels between two feature maps

/** Columns of a dense layer's grid: a divisor of its size near the square root when there is
 *  one (32 neurons: 8 × 4, no ragged last row), else the square root rounded up. */
function gridColumns(size) {
  const root = Math.sqrt(size);
  for (let cols = Math.ceil(root); cols <= Math.floor(root * 2); cols += 1) {
    if (size % cols === 0) return cols;
  }
  return Math.ceil(root);
}

function kindOf(detail, isOutput) {
  if (isOutput) return "output";
  if (detail.index === 0 || layerType(detail) === "input") return "image";
  if (mapShape(detail) && mapShape(detail)[0] > 0) return "maps";
  return "grid";
}

/** Geometry of a layer, in CSS pixels; `target` is the largest side the drawing aims for. */
function geometry(detail, kind, target) {
  if (kind === "output") {
    const cell = Math.min(20, Math.max(12, Math.floor(target / detail.size)));
    const cellWidth = 34;
    return { kind, cols: 1, rows: detail.size, cell, cellWidth, gap: 2, left: LABEL_WIDTH, width: LABEL_WIDTH + cellWidth + VALUE_WIDTH, height: detail.size * cell };
  }
  if (kind === "maps") {
    const [channels, h, w] = mapShape(detail);
    const mapCols = Math.ceil(Math.sqrt(channels));
    const mapRows = Math.ceil(channels / mapCols);
    const pixel = Math.max(1, Math.floor((target - MAP_GAP * (mapCols - 1)) / (mapCols * Math.max(h, w))));
    const width = mapCols * w * pixel + (mapCols - 1) * MAP_GAP;
    const height = mapRows * h * pixel + (mapRows - 1) * MAP_GAP;
    return { kind, channels, h, w, mapCols, mapRows, pixel, width, height, cols: w };
  }
  const cols = kind === "image" ? 28 : gridColumns(detail.size);
  const rows = Math.ceil(detail.size / cols);
  const cell = Math.max(3, Math.floor(target / Math.max(cols, rows)));
  const gap = cell >= 8 && kind !== "image" ? 1 : 0;
  return { kind, cols, rows, cell, cellWidth: cell, gap, left: 0, width: cols * cell, height: rows * cell };
}

/** The grid size that puts all layers on one row of `width` pixels (narrow screens stack). */
function gridTarget(width, count) {
  const output = LABEL_WIDTH + 34 + VALUE_WIDTH;
  const fit = Math.floor((width - output - LINK_SPACE * (count - 1)) / Math.max(1, count - 1));
  if (fit < MIN_GRID) return Math.min(MAX_GRID + 40, Math.max(MIN_GRID, width - 8));
  return Math.min(MAX_GRID, fit);
}

function maxAbs(values) {
  let m = 0;
  for (const v of values) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

function colourScale(detail, kind) {
  if (kind === "image") return (v) => ink(v);
  if (kind === "output") return (v) => sequential(v);
  let max = 0;
  let min = 0;
  for (const v of detail.values) {
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
   * @param {{onInspect: Function, onLeave: Function, onLayout?: Function}} callbacks
   */
  constructor(container, tooltip, { onInspect, onLeave, onLayout = () => {} }) {
    this.container = container;
    this.tooltip = tooltip;
    this.onInspect = onInspect;
    this.onLeave = onLeave;
    this.onLayout = onLayout;
    this.layers = [];
    this.byIndex = new Map();
    this.signature = "";
    this.selected = new Map();
    this.details = null;
    this.kernels = new Map();
    // Grids are sized to the card, so a resize (or a phone turning) re-lays them out.
    let timer = 0;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (this.layers.length > 0 && this.details) {
          this.render(this.details);
          this.onLayout();
        }
      }, 150);
    });
  }

  clear() {
    this.container.replaceChildren();
    this.details = null;
    this.layers = [];
    this.byIndex.clear();
    this.signature = "";
    this.selected.clear();
    this.kernels.clear();
    this.hideTooltip();
  }

  /** Draw every layer; figures are rebuilt only when the architecture (or the width) changes. */
  render(details) {
    this.details = details;
    const visible = details.filter((d, i) => i === 0 || i === details.length - 1 || !isPassThrough(d));
    const target = gridTarget(this.container.clientWidth, visible.length);
    const signature = `${target}/${details.map((d) => `${d.size}:${d.activation}:${d.type ?? ""}`).join("|")}`;
    if (signature !== this.signature) this.#build(details, visible, signature, target);
    for (const layer of this.layers) {
      layer.detail = details[layer.i];
      this.#draw(layer);
    }
  }

  #build(details, visible, signature, target) {
    this.container.replaceChildren();
    this.selected.clear();
    this.byIndex.clear();
    this.signature = signature;
    this.layers = visible.map((detail) => {
      const i = detail.index ?? details.indexOf(detail);
      const isOutput = i === details.length - 1;
      const kind = kindOf(detail, isOutput);
      const geo = geometry(detail, kind, target);
      const figure = document.createElement("figure");
      figure.className = `layer layer--${kind}`;
      figure.dataset.layer = String(i);
      const caption = document.createElement("figcaption");
      const name = document.createElement("span");
      name.className = "layer__name";
      name.textContent = layerTitle(detail, details);
      const meta = document.createElement("span");
      meta.className = "layer__meta";
      meta.textContent = layerMeta(detail);
      caption.append(name, meta);
      const canvas = document.createElement("canvas");
      canvas.className = "layer-canvas";
      canvas.dataset.layer = String(i);
      canvas.dataset.kind = kind;
      canvas.tabIndex = 0;
      canvas.style.width = `${geo.width}px`;
      canvas.setAttribute("role", "img");
      canvas.setAttribute(
        "aria-label",
        `${name.textContent}: ${meta.textContent}. Use the arrow keys to inspect single neurons.`,
      );
      figure.append(canvas);
      let kernelCanvas = null;
      if (kind === "maps" && layerType(detail) === "conv2d") {
        kernelCanvas = document.createElement("canvas");
        kernelCanvas.className = "kernel-canvas";
        kernelCanvas.dataset.layer = String(i);
        kernelCanvas.hidden = true;
        kernelCanvas.setAttribute("role", "img");
        kernelCanvas.setAttribute("aria-label", `${name.textContent}: its kernels, one tile per map`);
        figure.append(kernelCanvas);
      }
      figure.append(caption);
      this.container.append(figure);
      const layer = { i, detail, geo, canvas, kernelCanvas, figure, isOutput, kind };
      this.byIndex.set(i, layer);
      this.#wire(layer);
      if (kernelCanvas && this.kernels.has(i)) this.#drawKernels(layer);
      return layer;
    });
  }

  /** Show a conv layer's kernels (the weights contract's conv2d body) as tiles under its maps. */
  setKernels(index, payload) {
    this.kernels.set(index, payload);
    const layer = this.byIndex.get(index);
    if (layer?.kernelCanvas) this.#drawKernels(layer);
  }

  #drawKernels(layer) {
    const payload = this.kernels.get(layer.i);
    const [outC, inC, kh, kw] = payload.shape;
    const canvas = layer.kernelCanvas;
    const scale = Math.max(2, Math.floor(Math.min(layer.geo.width / (outC * (kw + 1)), 10)));
    const width = outC * (kw * scale + 2) - 2;
    canvas.width = width;
    canvas.height = kh * scale;
    canvas.style.width = `${width}px`;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    let m = 0;
    for (const row of payload.weights) m = Math.max(m, maxAbs(row));
    m = m || 1;
    payload.weights.forEach((row, o) => {
      // One tile per output channel: its kernel summed over the input channels.
      for (let y = 0; y < kh; y += 1) {
        for (let x = 0; x < kw; x += 1) {
          let v = 0;
          for (let c = 0; c < inC; c += 1) v += row[c * kh * kw + y * kw + x];
          ctx.fillStyle = css(diverging(v / (m * Math.max(1, Math.sqrt(inC)))));
          ctx.fillRect(o * (kw * scale + 2) + x * scale, y * scale, scale, scale);
        }
      }
    });
    canvas.dataset.kernels = String(outC);
    canvas.hidden = false;
  }

  #wire(layer) {
    const { canvas } = layer;
    canvas.addEventListener("pointermove", (event) => {
      const neuron = this.#hit(layer, event);
      if (neuron === null) {
        this.hideTooltip();
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
      if (document.activeElement === canvas) return;
      // The outline goes with the pointer: no old selection lingers on the layer.
      this.selected.delete(layer.i);
      this.#draw(layer);
      this.#leave();
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
      const cols = layer.kind === "maps" ? layer.geo.w : layer.geo.cols;
      const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols };
      const current = this.selected.get(layer.i) ?? 0;
      let next = null;
      if (event.key in moves) next = current + moves[event.key];
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = layer.detail.size - 1;
      else if (event.key === "Escape") {
        canvas.blur();
        return;
      }
      if (next === null) return;
      event.preventDefault();
      this.#inspect(layer, Math.min(layer.detail.size - 1, Math.max(0, next)), null);
    });
  }

  #hit(layer, event) {
    const rect = layer.canvas.getBoundingClientRect();
    const geo = layer.geo;
    // The canvas may be drawn smaller than its natural size on narrow screens.
    const k = geo.width / rect.width;
    const x = (event.clientX - rect.left) * k;
    const y = (event.clientY - rect.top) * k;
    if (layer.kind === "maps") {
      const tileW = geo.w * geo.pixel + MAP_GAP;
      const tileH = geo.h * geo.pixel + MAP_GAP;
      const mc = Math.floor(x / tileW);
      const mr = Math.floor(y / tileH);
      const channel = mr * geo.mapCols + mc;
      const px = Math.floor((x - mc * tileW) / geo.pixel);
      const py = Math.floor((y - mr * tileH) / geo.pixel);
      if (mc < 0 || mc >= geo.mapCols || channel >= geo.channels || px >= geo.w || py >= geo.h || px < 0 || py < 0) return null;
      return channel * geo.h * geo.w + py * geo.w + px;
    }
    const gx = x - geo.left;
    if (gx < 0) return null;
    const col = Math.floor(gx / geo.cellWidth);
    const row = Math.floor(y / geo.cell);
    if (col >= geo.cols || row < 0) return null;
    const neuron = row * geo.cols + col;
    return neuron < layer.detail.size ? neuron : null;
  }

  /** What a neuron is called in the tooltip: a pixel, a digit, a map position or an index. */
  #what(layer, neuron) {
    if (layer.kind === "image") return `pixel (${neuron % 28}, ${Math.floor(neuron / 28)})`;
    if (layer.kind === "output") return `digit ${neuron}`;
    if (layer.kind === "maps") {
      const { h, w } = layer.geo;
      const channel = Math.floor(neuron / (h * w));
      const rest = neuron % (h * w);
      return `map ${channel} at (${rest % w}, ${Math.floor(rest / w)})`;
    }
    return `neuron ${neuron}`;
  }

  #inspect(layer, neuron, pointer) {
    const previous = this.selected.get(layer.i);
    // One outline at a time, across every layer.
    for (const [i] of this.selected) {
      if (i !== layer.i) {
        this.selected.delete(i);
        const other = this.byIndex.get(i);
        if (other) this.#draw(other);
      }
    }
    this.selected.set(layer.i, neuron);
    if (previous !== neuron) this.#draw(layer);
    const { detail } = layer;
    const value = detail.values[neuron];
    const pre = detail.pre_activations ? detail.pre_activations[neuron] : null;
    const title = layerTitle(detail, this.details);
    const anchor = pointer ?? this.#cellCentre(layer, neuron);
    placeTooltip(this.tooltip, `${title}, ${this.#what(layer, neuron)}: ${formatValue(value)}`, anchor);
    this.onInspect({ layer: layer.i, neuron, value, pre, detail, details: this.details, what: this.#what(layer, neuron), title });
  }

  /** Viewport coordinates of a neuron's centre. */
  #cellCentre(layer, neuron) {
    const rect = layer.canvas.getBoundingClientRect();
    const p = this.#local(layer, neuron);
    const k = rect.width / layer.geo.width;
    return { x: rect.left + k * p.x, y: rect.top + k * p.y };
  }

  /** A neuron's centre in the canvas's own (CSS pixel) coordinates. */
  #local(layer, neuron) {
    const geo = layer.geo;
    if (layer.kind === "maps") {
      const channel = Math.floor(neuron / (geo.h * geo.w));
      const rest = neuron % (geo.h * geo.w);
      const mc = channel % geo.mapCols;
      const mr = Math.floor(channel / geo.mapCols);
      return {
        x: mc * (geo.w * geo.pixel + MAP_GAP) + ((rest % geo.w) + 0.5) * geo.pixel,
        y: mr * (geo.h * geo.pixel + MAP_GAP) + (Math.floor(rest / geo.w) + 0.5) * geo.pixel,
      };
    }
    return {
      x: geo.left + (neuron % geo.cols) * geo.cellWidth + geo.cellWidth / 2,
      y: Math.floor(neuron / geo.cols) * geo.cell + geo.cell / 2,
    };
  }

  /** Where layer `index`'s neuron sits relative to `box` (for the connection lines); pass-through
   *  layers answer with the layer they copy. Null when the layer is not drawn. */
  centreOf(index, neuron, box) {
    let layer = this.byIndex.get(index);
    for (let i = index; !layer && i > 0; i -= 1) layer = this.byIndex.get(i - 1);
    if (!layer) return null;
    const rect = layer.canvas.getBoundingClientRect();
    const p = this.#local(layer, neuron);
    const k = rect.width / layer.geo.width;
    return { x: rect.left - box.left + k * p.x, y: rect.top - box.top + k * p.y };
  }

  /** The horizontal extent of a layer's drawing relative to `box` (lines stop at its edges). */
  edgesOf(index, box) {
    let layer = this.byIndex.get(index);
    for (let i = index; !layer && i > 0; i -= 1) layer = this.byIndex.get(i - 1);
    if (!layer) return null;
    const rect = layer.canvas.getBoundingClientRect();
    return { left: rect.left - box.left, right: rect.right - box.left, top: rect.top - box.top, bottom: rect.bottom - box.top };
  }

  #leave() {
    this.hideTooltip();
    this.onLeave();
  }

  hideTooltip() {
    this.tooltip.hidden = true;
  }

  #draw(layer) {
    const { canvas, geo, detail, kind } = layer;
    const dpr = window.devicePixelRatio || 1;
    const { width, height } = geo;
    if (canvas.width !== Math.round(width * dpr)) canvas.width = Math.round(width * dpr);
    if (canvas.height !== Math.round(height * dpr)) canvas.height = Math.round(height * dpr);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const scale = colourScale(detail, kind);
    const selected = this.selected.get(layer.i);
    if (kind === "maps") {
      const { channels, h, w, mapCols, pixel } = geo;
      // Each map is coloured on the layer's common scale, so maps can be compared.
      for (let c = 0; c < channels; c += 1) {
        const ox = (c % mapCols) * (w * pixel + MAP_GAP);
        const oy = Math.floor(c / mapCols) * (h * pixel + MAP_GAP);
        for (let n = 0; n < h * w; n += 1) {
          ctx.fillStyle = css(scale(detail.values[c * h * w + n]));
          ctx.fillRect(ox + (n % w) * pixel, oy + Math.floor(n / w) * pixel, pixel, pixel);
        }
      }
      if (selected !== undefined) {
        const p = this.#local(layer, selected);
        this.#outline(ctx, p.x - pixel / 2, p.y - pixel / 2, pixel, pixel);
      }
      return;
    }
    const { cols, cell, cellWidth, gap, left } = geo;
    for (let n = 0; n < detail.size; n += 1) {
      const x = left + (n % cols) * cellWidth;
      const y = Math.floor(n / cols) * cell;
      ctx.fillStyle = css(scale(detail.values[n]));
      ctx.fillRect(x, y, cellWidth - gap, cell - gap);
    }
    if (kind === "output") this.#drawOutputLabels(ctx, layer);
    if (selected !== undefined) {
      this.#outline(ctx, left + (selected % cols) * cellWidth, Math.floor(selected / cols) * cell, cellWidth - gap, cell - gap);
    }
  }

  #outline(ctx, x, y, w, h) {
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#ffffff";
    ctx.strokeRect(x + 1, y + 1, w - 2, h - 2);
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#111111";
    ctx.strokeRect(x - 0.5, y - 0.5, w + 1, h + 1);
  }

  /** Digits left of the output column, the values (probabilities for softmax) right of it. */
  #drawOutputLabels(ctx, layer) {
    const { values, activation } = layer.detail;
    const { cell, cellWidth, left, gap } = layer.geo;
    const best = values.indexOf(Math.max(...values));
    const percent = activation === "softmax";
    const strong = themeColour("--text");
    const soft = themeColour("--muted");
    ctx.textBaseline = "middle";
    for (let n = 0; n < values.length; n += 1) {
      const y = n * cell + (cell - gap) / 2 + 1;
      ctx.font = `${n === best ? "700" : "400"} 12px system-ui, sans-serif`;
      ctx.fillStyle = n === best ? strong : soft;
      ctx.textAlign = "right";
      ctx.fillText(String(n), left - 7, y);
      ctx.textAlign = "left";
      ctx.font = `${n === best ? "700" : "400"} 11px system-ui, sans-serif`;
      const text = percent ? formatPercent(values[n]) : formatValue(values[n]);
      ctx.fillText(text, left + cellWidth + 6, y);
    }
  }
}
