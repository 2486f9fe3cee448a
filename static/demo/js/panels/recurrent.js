// "Reading row by row": for a recurrent model (RNN, LSTM, GRU) the digit revealed one row at a
// time with a play button and a scrubber, the hidden state as a heatmap that grows a row per step
// (rows × units), the gates at the current row, and the prediction after every row ("it knows it
// is a 7 by row 12"), beside the other models' answers on the same input (the compare panel's).
// Everything comes from one `POST /activations` answer: each recurrent layer's `recurrent`
// object and the answer's `step_predictions` (docs/API.md). Other models hide the panel.

import { diverging, ink, sequential, themeColour } from "../colors.js";
import { formatPercent } from "../format.js";
import { friendlyName } from "../models.js";

const PLAY_MS = 140; // per row: the 28 rows of a digit in about four seconds
const GATES = {
  i: { title: "Input gate i", range: "0 → 1", kind: "sigmoid", says: "how much of the candidate is written" },
  f: { title: "Forget gate f", range: "0 → 1", kind: "sigmoid", says: "how much of the old cell is kept" },
  g: { title: "Candidate g", range: "−1 → +1", kind: "tanh", says: "the values that could be written" },
  o: { title: "Output gate o", range: "0 → 1", kind: "sigmoid", says: "how much of the cell is shown" },
  r: { title: "Reset gate r", range: "0 → 1", kind: "sigmoid", says: "how much of the old state feeds the candidate" },
  z: { title: "Update gate z", range: "0 → 1", kind: "sigmoid", says: "how much of the old state is kept" },
  n: { title: "Candidate n", range: "−1 → +1", kind: "tanh", says: "the proposed new state" },
};
const KIND_NAMES = { rnn: "RNN", lstm: "LSTM", gru: "GRU" };

/** "rgb(1, 2, 3)" → [1, 2, 3]. */
function rgb(colour) {
  const parts = String(colour).match(/\d+(\.\d+)?/g) ?? [];
  return [0, 1, 2].map((i) => Math.round(Number(parts[i] ?? 128)));
}

/** Paint a rows × columns matrix into `canvas`, one canvas pixel per value; rows from `shown` on
 *  are painted `hidden` (not read yet). */
function paintMatrix(canvas, matrix, columns, shown, scale, hidden) {
  const rows = matrix.length;
  canvas.width = columns;
  canvas.height = rows;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(columns, rows);
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < columns; c += 1) {
      const colour = r < shown ? scale(matrix[r][c] ?? 0) : hidden;
      image.data.set([...colour, 255], (r * columns + c) * 4);
    }
  }
  ctx.putImageData(image, 0, 0);
}

/** The recurrent layer whose states feed the per-row predictions (else the last one). */
function recurrentLayer(result) {
  const details = result?.layer_details ?? [];
  const layers = details.filter((d) => d.recurrent);
  if (layers.length === 0) return null;
  const step = result.step_predictions;
  return (step && details[step.layer]?.recurrent ? details[step.layer] : layers.at(-1)) ?? null;
}

/** @param {{els: object}} page */
export function initRecurrent({ els }) {
  let shown = null; // {result, pixels, layer, steps, row}
  let comparison = null;
  let timer = null;

  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    els.recurrentPlay.textContent = "Play";
    els.recurrentPlay.setAttribute("aria-pressed", "false");
  }

  function hide() {
    stop();
    shown = null;
    comparison = null;
    els.recurrent.hidden = true;
  }

  function paintDigit(row) {
    const { pixels, steps } = shown;
    const side = Math.round(pixels.length / steps);
    const rows = Array.from({ length: steps }, (_, r) => pixels.slice(r * side, (r + 1) * side));
    paintMatrix(els.recurrentDigit, rows, side, row, ink, rgb(themeColour("--track")));
    els.recurrentDigit.parentElement.style.setProperty("--row", String(row / steps));
    els.recurrentDigit.setAttribute("aria-label", `The digit with its first ${row} of ${steps} rows revealed`);
  }

  function paintHidden(row) {
    const { hidden, units } = shown.layer.recurrent;
    const max = Math.max(1, ...hidden.flat().map(Math.abs)); // tanh states are within ±1; ReLU ones are not
    paintMatrix(els.recurrentHeatmap, hidden, units, row, (v) => diverging(v / max), rgb(themeColour("--track")));
    els.recurrentHeatmap.setAttribute(
      "aria-label",
      `Hidden state after each of the first ${row} rows: ${row} rows of ${units} units, blue negative, red positive`,
    );
  }

  function paintGates(row) {
    const { gates, hidden, units } = shown.layer.recurrent;
    const names = Object.keys(gates);
    const figures = [];
    if (names.length === 0) {
      const p = document.createElement("p");
      p.className = "muted recurrent__nogates";
      p.textContent = "A plain RNN has no gates: its whole state is rewritten at every row, hₜ = tanh(xₜW + hₜ₋₁U + b).";
      figures.push(p);
    }
    const at = Math.max(0, row - 1);
    for (const name of names) {
      const info = GATES[name] ?? { title: `Gate ${name}`, range: "", kind: "sigmoid", says: "" };
      const figure = document.createElement("figure");
      figure.className = "recurrent__gate";
      figure.dataset.gate = name;
      const canvas = document.createElement("canvas");
      canvas.className = "recurrent__strip";
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `${info.title} after row ${row}, ${units} units`);
      const scale = info.kind === "tanh" ? diverging : sequential;
      paintMatrix(canvas, [gates[name][at]], units, 1, scale, [0, 0, 0]);
      const caption = document.createElement("figcaption");
      const title = document.createElement("strong");
      title.textContent = info.title;
      caption.append(title, ` (${info.range}): ${info.says}`);
      figure.append(caption, canvas);
      figures.push(figure);
    }
    const carried = document.createElement("figure");
    carried.className = "recurrent__gate";
    carried.dataset.gate = "h";
    const canvas = document.createElement("canvas");
    canvas.className = "recurrent__strip";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `Hidden state after row ${row}, ${units} units`);
    const max = Math.max(1, ...hidden.flat().map(Math.abs));
    paintMatrix(canvas, [hidden[at]], units, 1, (v) => diverging(v / max), [0, 0, 0]);
    const caption = document.createElement("figcaption");
    const title = document.createElement("strong");
    title.textContent = "State h";
    caption.append(title, " (−1 → +1): what is carried to the next row");
    carried.append(caption, canvas);
    figures.push(carried);
    els.recurrentGates.replaceChildren(...figures);
    els.recurrentGatesTitle.textContent = `Gates at row ${row}`;
  }

  function paintSteps(row) {
    const step = shown.result.step_predictions;
    const items = [];
    if (step) {
      const final = step.predicted_digits.at(-1);
      step.predicted_digits.forEach((digit, t) => {
        const li = document.createElement("li");
        li.className = "recurrent__step";
        if (t >= step.settled_step) li.classList.add("is-settled");
        if (t === row - 1) li.classList.add("is-current");
        if (t >= row) li.classList.add("is-future");
        li.dataset.digit = String(digit);
        li.style.setProperty("--p", String(step.confidences[t]));
        const label = document.createElement("span");
        label.className = "visually-hidden";
        label.textContent = `after row ${t + 1}: `;
        const value = document.createElement("span");
        value.className = "recurrent__step-digit";
        value.textContent = String(digit);
        li.append(label, value);
        if (digit === final) li.dataset.final = "true";
        items.push(li);
      });
    }
    els.recurrentSteps.replaceChildren(...items);
  }

  function verdictText(row) {
    const step = shown.result.step_predictions;
    if (!step) {
      return "This model reads every row's state at once, so it has no answer until the last row.";
    }
    const t = row - 1;
    const digit = step.predicted_digits[t];
    const final = step.predicted_digits.at(-1);
    const knows =
      step.settled_step === 0
        ? `It says ${final} from the first row on.`
        : `It knows it is a ${final} by row ${step.settled_step + 1}: from there on ${final} stays on top.`;
    return `After row ${row} of ${shown.steps} it says ${digit} (${formatPercent(step.confidences[t])}). ${knows}`;
  }

  function paintComparison() {
    if (!shown) return;
    const step = shown.result.step_predictions;
    const others = (comparison ?? []).filter((r) => r.model.name !== shown.result.model && r.result);
    if (!comparison) {
      els.recurrentCompare.textContent = "Waiting for the other models' answers…";
      return;
    }
    if (others.length === 0) {
      els.recurrentCompare.textContent = "No other model is available to compare with.";
      return;
    }
    const final = shown.result.predicted_digit;
    const agree = others.filter((r) => r.result.predicted_digit === final).length;
    const lead = document.createElement("p");
    const rows = step ? `needs ${step.settled_step + 1} of ${shown.steps} rows to settle on ${final}` : `says ${final}`;
    lead.textContent = `This model ${rows}; the other models see the whole image at once, and ${agree} of ${others.length} also say ${final}.`;
    const list = document.createElement("ul");
    list.className = "recurrent__others";
    for (const { model, result } of others) {
      const li = document.createElement("li");
      li.dataset.model = model.name;
      li.dataset.agrees = String(result.predicted_digit === final);
      const name = document.createElement("span");
      name.textContent = `${friendlyName(model)}: `;
      const digit = document.createElement("strong");
      digit.textContent = String(result.predicted_digit);
      li.append(name, digit, ` (${formatPercent(result.confidence)})`);
      list.append(li);
    }
    els.recurrentCompare.replaceChildren(lead, list);
  }

  /** Show rows 1..row (1 ≤ row ≤ steps). */
  function reveal(row) {
    if (!shown) return;
    shown.row = Math.min(shown.steps, Math.max(1, row));
    els.recurrentRow.value = String(shown.row);
    els.recurrentRowLabel.textContent = `Row ${shown.row} of ${shown.steps}`;
    paintDigit(shown.row);
    paintHidden(shown.row);
    paintGates(shown.row);
    paintSteps(shown.row);
    els.recurrentVerdict.textContent = verdictText(shown.row);
    els.recurrent.dataset.row = String(shown.row);
  }

  /** Show an answer of `POST /activations` (`current` is `state.result`); hide for other models. */
  function show(current) {
    stop();
    const layer = recurrentLayer(current?.result);
    if (!layer || !current.pixels) {
      hide();
      return;
    }
    const sameInput = shown && shown.pixels === current.pixels;
    shown = { result: current.result, pixels: current.pixels, layer, steps: layer.recurrent.steps, row: layer.recurrent.steps };
    if (!sameInput) comparison = null;
    const kind = KIND_NAMES[layer.type] ?? layer.type;
    // Named by its recurrent layer: the size-based names of models.js describe MLPs.
    els.recurrentTitle.textContent = `Reading row by row: ${kind} of ${layer.recurrent.units} units`;
    els.recurrentIntro.textContent =
      `This ${kind} reads the digit one row of ${Math.round(current.pixels.length / shown.steps)} pixels at a time and carries ` +
      `${layer.recurrent.units} numbers (its hidden state) from row to row. Press Play or drag the slider to watch it read.`;
    els.recurrentRow.max = String(shown.steps);
    els.recurrent.dataset.kind = layer.type;
    els.recurrent.hidden = false;
    reveal(shown.steps);
    paintComparison();
  }

  /** The compare panel's answers for `pixels` (every available model on the same input). */
  function compareWith(results, pixels) {
    if (!shown || pixels !== shown.pixels) return;
    comparison = results;
    paintComparison();
  }

  function play() {
    if (!shown) return;
    if (timer !== null) {
      stop();
      return;
    }
    if (shown.row >= shown.steps) reveal(1);
    els.recurrentPlay.textContent = "Pause";
    els.recurrentPlay.setAttribute("aria-pressed", "true");
    timer = window.setInterval(() => {
      if (!shown || shown.row >= shown.steps) {
        stop();
        return;
      }
      reveal(shown.row + 1);
    }, PLAY_MS);
  }

  els.recurrentPlay.addEventListener("click", play);
  els.recurrentRow.addEventListener("input", () => {
    stop();
    reveal(Number(els.recurrentRow.value));
  });
  // Canvases take their "not read yet" colour from the theme.
  document.addEventListener("hippo:theme", () => {
    if (shown) reveal(shown.row);
  });

  return { show, hide, compareWith, reveal };
}
