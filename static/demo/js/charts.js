// Training curves (inline SVG) and the confusion matrix (an HTML table heatmap) of one model.
// Hand-drawn on purpose: two line charts and a table do not need a chart library.

import { svgEl as el } from "./dom.js";

/** About five round tick values covering [lo, hi]. */
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) * 0.05 || 1;
    return niceTicks(lo - pad, hi + pad, count);
  }
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

/** Whole-epoch ticks from the first epoch to the last (never a tick at epoch 1.5). */
export function epochTicks(first, last) {
  if (!(last > first)) return [first - 1, first, first + 1];
  const step = Math.max(1, Math.ceil((last - first) / 6));
  const ticks = [];
  for (let e = first; e < last; e += step) ticks.push(e);
  if (last - ticks[ticks.length - 1] < step / 2 && ticks.length > 1) ticks.pop();
  ticks.push(last);
  return ticks;
}

/**
 * One line chart: x = epoch, one or more series. Returns an <svg> sized by its viewBox.
 * @param {{title: string, yLabel: string, series: {name: string, colour: string, points: [number, number][]}[], format: (v: number) => string}} spec
 */
export function lineChart({ title, yLabel, series, format }) {
  const W = 320;
  const H = 200;
  const m = { top: 28, right: 14, bottom: 40, left: 52 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xTicks = epochTicks(Math.min(...xs), Math.max(...xs));
  const yTicks = niceTicks(Math.min(...ys), Math.max(...ys), 4);
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const sx = (v) => m.left + ((v - x0) / (x1 - x0 || 1)) * (W - m.left - m.right);
  const sy = (v) => H - m.bottom - ((v - y0) / (y1 - y0 || 1)) * (H - m.top - m.bottom);

  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img" });
  svg.append(el("title", {}, title));
  svg.append(el("text", { x: m.left, y: 16, class: "chart__title" }, title));
  const grid = el("g", { class: "chart__grid" });
  for (const t of yTicks) {
    grid.append(el("line", { x1: m.left, x2: W - m.right, y1: sy(t), y2: sy(t) }));
    grid.append(el("text", { x: m.left - 6, y: sy(t), class: "chart__tick chart__tick--y" }, format(t)));
  }
  for (const t of xTicks) {
    grid.append(el("text", { x: sx(t), y: H - m.bottom + 16, class: "chart__tick chart__tick--x" }, String(t)));
  }
  grid.append(el("line", { x1: m.left, x2: W - m.right, y1: H - m.bottom, y2: H - m.bottom, class: "chart__axis" }));
  svg.append(grid);
  svg.append(el("text", { x: (m.left + W - m.right) / 2, y: H - 6, class: "chart__label" }, "Epoch"));
  svg.append(
    el("text", { x: -(m.top + H - m.bottom) / 2, y: 13, transform: "rotate(-90)", class: "chart__label" }, yLabel),
  );
  for (const s of series) {
    const path = s.points.map((p, i) => `${i ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
    svg.append(el("path", { d: path, class: "chart__line", stroke: s.colour }));
    for (const p of s.points) {
      const dot = el("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 2.5, fill: s.colour, class: "chart__dot" });
      dot.append(el("title", {}, `${s.name}, epoch ${p[0]}: ${format(p[1])}`));
      svg.append(dot);
    }
  }
  return svg;
}

/** Render `history` (one entry per epoch) as a loss chart and a validation-accuracy chart. */
export function renderCurves(container, history) {
  container.replaceChildren();
  const rows = (history ?? []).filter((h) => Number.isFinite(h?.epoch));
  const series = (key, name, colour) => ({
    name,
    colour,
    points: rows.filter((h) => Number.isFinite(h[key])).map((h) => [h.epoch, h[key]]),
  });
  const loss = [series("train_loss", "Training loss", "#3b4cca"), series("validation_loss", "Validation loss", "#c2410c")]
    .filter((s) => s.points.length > 0);
  const accuracy = [series("validation_accuracy", "Validation accuracy", "#0f7b5f"), series("train_accuracy", "Training accuracy", "#3b4cca")]
    .filter((s) => s.points.length > 0);
  if (loss.length === 0 && accuracy.length === 0) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = "This model has no recorded training history.";
    container.append(p);
    return;
  }
  if (loss.length > 0) {
    container.append(figure(lineChart({ title: "Loss per epoch", yLabel: "Loss", series: loss, format: (v) => v.toFixed(2) }), loss));
  }
  if (accuracy.length > 0) {
    container.append(
      figure(
        lineChart({ title: "Accuracy per epoch", yLabel: "Accuracy (%)", series: accuracy, format: (v) => `${+v.toFixed(1)}` }),
        accuracy,
      ),
    );
  }
}

function figure(svg, series) {
  const fig = document.createElement("figure");
  fig.className = "chart-figure";
  fig.append(svg);
  const legend = document.createElement("figcaption");
  legend.className = "legend";
  for (const s of series) {
    const item = document.createElement("span");
    item.className = "legend__item";
    const swatch = document.createElement("span");
    swatch.className = "legend__swatch";
    swatch.style.background = s.colour;
    item.append(swatch, s.name);
    legend.append(item);
  }
  fig.append(legend);
  return fig;
}

/** Cell colours of the confusion matrix: green by share on the diagonal, red (square-root scale,
 *  since errors are rare and a handful should still show) off it. Returns [fill, text colour]. */
function confusionColours(count, share, diagonal) {
  if (!diagonal && count === 0) return ["#f4f5f8", "#5b6474"];
  const fill = diagonal
    ? mix([15, 123, 95], [255, 255, 255], 0.25 + 0.75 * share)
    : mix([180, 35, 24], [253, 236, 234], 0.12 + 0.78 * Math.min(1, Math.sqrt(share / 0.1)));
  return [`rgb(${fill.join(" ")})`, readableOn(fill)];
}

/** Diverging colours of a difference cell: blue for better, red for worse, white for equal. */
function differenceColours(better, rowTotal) {
  if (better === 0) return ["#f4f5f8", "#5b6474"];
  const t = Math.min(1, Math.sqrt(Math.abs(better) / Math.max(1, rowTotal * 0.05)));
  const fill = better > 0 ? mix([33, 102, 172], [240, 244, 250], 0.2 + 0.8 * t) : mix([178, 24, 43], [253, 240, 238], 0.2 + 0.8 * t);
  return [`rgb(${fill.join(" ")})`, readableOn(fill)];
}

function mix(a, b, t) {
  return a.map((v, i) => Math.round(b[i] + (v - b[i]) * t));
}

/** White or near-black text, whichever contrasts more with `rgb` (WCAG relative luminance). */
function readableOn(rgb) {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const onWhite = 1.05 / (luminance + 0.05);
  const onDark = (luminance + 0.05) / (0.016 + 0.05); // #1d2330
  return onWhite >= onDark ? "#ffffff" : "#1d2330";
}

/**
 * The confusion matrix as an SVG heatmap (rows: true digit, columns: prediction; the per-class
 * accuracy in a last column) that scales to any width, plus the same numbers as a table for
 * screen readers. With `onCell`, every non-empty cell is a button (click, Enter or Space) that
 * asks for that cell's images. With `compare` (a second model's matrix), each cell shows the
 * difference second − first, blue where the second model does better and red where it does worse.
 */
export function renderConfusion(container, matrix, perClass, { onCell = null, compare = null, names = [] } = {}) {
  container.replaceChildren();
  if (!Array.isArray(matrix) || matrix.length === 0) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = "This model has no recorded confusion matrix.";
    container.append(p);
    return;
  }
  const n = matrix.length;
  const hasAcc = Array.isArray(perClass);
  const cell = 34;
  const left = 40;
  const top = 40;
  const accWidth = hasAcc ? 58 : 0;
  const W = left + n * cell + accWidth;
  const H = top + n * cell + 6;
  const diff = Array.isArray(compare) && compare.length === n;
  const svg = el("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: `confusion-chart${diff ? " confusion-chart--diff" : ""}`,
    role: "group",
    "aria-label": diff
      ? `Difference of the confusion matrices, ${names[1] ?? "second"} minus ${names[0] ?? "first"}`
      : "Confusion matrix: choose a cell to see its test images",
  });
  svg.append(el("text", { x: left + (n * cell) / 2, y: 11, class: "confusion-chart__axis" }, "Predicted digit"));
  svg.append(
    el(
      "text",
      { x: -(top + (n * cell) / 2), y: 11, transform: "rotate(-90)", class: "confusion-chart__axis" },
      "True digit",
    ),
  );
  for (let j = 0; j < n; j += 1) {
    svg.append(el("text", { x: left + j * cell + cell / 2, y: top - 8, class: "confusion-chart__head" }, String(j)));
  }
  if (hasAcc) {
    svg.append(el("text", { x: left + n * cell + accWidth / 2 + 2, y: top - 8, class: "confusion-chart__head" }, "acc."));
  }
  matrix.forEach((row, i) => {
    const y = top + i * cell;
    svg.append(el("text", { x: left - 9, y: y + cell / 2, class: "confusion-chart__head confusion-chart__head--row" }, String(i)));
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, j) => {
      const share = count / total;
      let fill;
      let ink;
      let shown = String(count);
      let label = `true ${i}, predicted ${j}: ${count} (${(share * 100).toFixed(1)}% of the ${i}s)`;
      if (diff) {
        const delta = compare[i][j] - count;
        // On the diagonal more is better; off it, more is worse.
        const better = i === j ? delta : -delta;
        [fill, ink] = differenceColours(better, total);
        shown = delta > 0 ? `+${delta}` : String(delta);
        label = `true ${i}, predicted ${j}: ${names[0] ?? "first"} ${count}, ${names[1] ?? "second"} ${compare[i][j]} (${shown})`;
      } else {
        [fill, ink] = confusionColours(count, share, i === j);
      }
      const g = el("g", { class: `confusion-chart__cell${i === j ? " is-hit" : count > 0 ? " is-miss" : ""}` });
      g.dataset.true = String(i);
      g.dataset.predicted = String(j);
      g.append(el("title", {}, label));
      g.append(el("rect", { x: left + j * cell + 1, y: y + 1, width: cell - 2, height: cell - 2, rx: 3, fill }));
      const size = shown.length > 3 ? 10 : 11;
      g.append(
        el(
          "text",
          { x: left + j * cell + cell / 2, y: y + cell / 2, fill: ink, "font-size": size, class: "confusion-chart__count" },
          shown,
        ),
      );
      if (onCell && !diff && count > 0) {
        g.setAttribute("role", "button");
        g.setAttribute("tabindex", "0");
        g.setAttribute("aria-label", `${label}. Show these test images.`);
        g.classList.add("is-clickable");
        const choose = () => onCell(i, j, count);
        g.addEventListener("click", choose);
        g.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            choose();
          }
        });
      }
      svg.append(g);
    });
    if (hasAcc) {
      const value = Number.isFinite(perClass[i]) ? `${perClass[i].toFixed(1)}%` : "–";
      svg.append(el("text", { x: W - 2, y: y + cell / 2, class: "confusion-chart__acc" }, value));
    }
  });

  const frame = document.createElement("figure");
  frame.className = "confusion-figure";
  const caption = document.createElement("figcaption");
  caption.className = "confusion-figure__caption";
  caption.textContent = diff
    ? `Difference on the test set, ${names[1]} minus ${names[0]}: blue cells are where ${names[1]} does better, red where it does worse.`
    : `Confusion matrix on the test set: rows are the true digit, columns the prediction.${onCell ? " Choose a cell to see those images." : ""}`;
  frame.append(caption, svg, confusionTable(matrix, perClass));
  container.append(frame);
}

/** The same numbers as a real table, visually hidden: screen readers navigate it by row and column. */
function confusionTable(matrix, perClass) {
  const table = document.createElement("table");
  const caption = document.createElement("caption");
  caption.textContent = "Confusion matrix: rows are the true digit, columns the predicted digit.";
  table.append(caption);
  const head = table.createTHead().insertRow();
  const corner = document.createElement("th");
  corner.textContent = "True digit";
  head.append(corner);
  matrix.forEach((_, j) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = `Predicted ${j}`;
    head.append(th);
  });
  if (Array.isArray(perClass)) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = "Per-class accuracy";
    head.append(th);
  }
  const body = table.createTBody();
  matrix.forEach((row, i) => {
    const tr = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = String(i);
    tr.append(th);
    for (const count of row) tr.insertCell().textContent = String(count);
    if (Array.isArray(perClass)) {
      tr.insertCell().textContent = Number.isFinite(perClass[i]) ? `${perClass[i].toFixed(1)}%` : "–";
    }
  });
  // A table is never narrower than its content, so the hiding goes on a wrapper.
  const wrapper = document.createElement("div");
  wrapper.className = "visually-hidden";
  wrapper.append(table);
  return wrapper;
}
