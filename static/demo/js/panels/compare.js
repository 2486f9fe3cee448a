// "Every model on this input": the same 784 pixels sent to every available model at once, as a
// table of answers (with a verdict column when the input is a labelled sample) and one summary line.

import { isAbort } from "../api.js";
import { formatPercent } from "../format.js";
import { friendlyName } from "../models.js";
import { availableModels } from "../state.js";
import { assess } from "../uncertainty.js";

function headRow(table, names) {
  const head = table.createTHead().insertRow();
  for (const name of names) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = name;
    head.append(th);
  }
}

function answerRow(body, { model, result, error }, shownModel, label) {
  const tr = body.insertRow();
  tr.dataset.model = model.name;
  if (model.name === shownModel) tr.classList.add("is-current");
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = friendlyName(model);
  tr.append(th);
  if (error) {
    const td = tr.insertCell();
    td.colSpan = label === null ? 2 : 3;
    td.textContent = `no answer: ${error.message}`;
    return;
  }
  const verdict = assess(result.probabilities, null);
  const answer = tr.insertCell();
  answer.className = "compare__digit";
  answer.textContent = String(result.predicted_digit);
  const confidence = tr.insertCell();
  const bar = document.createElement("span");
  bar.className = "compare__bar";
  bar.style.setProperty("--p", String(result.confidence));
  confidence.append(bar, ` ${formatPercent(result.confidence)}${verdict.kind === "unsure" ? " · unsure" : ""}`);
  if (label !== null) {
    const cell = tr.insertCell();
    const right = result.predicted_digit === label;
    cell.textContent = right ? "✓ correct" : `✗ wrong (label ${label})`;
    cell.className = right ? "is-right" : "is-wrong";
  }
}

function summaryLine(results) {
  const agree = new Set(results.filter((r) => r.result).map((r) => r.result.predicted_digit));
  const summary = document.createElement("p");
  summary.className = "compare__summary";
  if (results.length === 1) summary.textContent = `Only one model is available; it says ${[...agree][0] ?? "nothing"}.`;
  else if (agree.size === 1) summary.textContent = `All ${results.length} models agree: ${[...agree][0]}.`;
  else summary.textContent = `The models disagree: ${[...agree].sort().join(", ")}.`;
  return summary;
}

/**
 * @param {{els: object, api: object, latest: import("../api.js").Latest, state: object}} page
 * @param {{onResults?: (results: object[], pixels: number[]) => void}} hooks `onResults`: every
 *   model's answer (or error) for `pixels`, once shown.
 */
export function initCompare({ els, api, latest, state }, hooks = {}) {
  function showMessage(text) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    els.compare.replaceChildren(p);
  }

  function cancel() {
    latest.cancel("compare");
  }

  /** Ask every available model about `pixels`; `shownModel` is the one the page shows. */
  async function run(pixels, shownModel) {
    const models = availableModels(state);
    if (models.length === 0 || !pixels) return;
    const signal = latest.begin("compare");
    const results = await Promise.all(
      models.map((m) =>
        api.predict(pixels, m.name, signal).then(
          (result) => ({ model: m, result }),
          (error) => ({ model: m, error }),
        ),
      ),
    );
    if (!latest.isCurrent("compare", signal)) return;
    if (results.every((r) => r.error && isAbort(r.error))) return;
    const label = state.input.kind === "sample" ? state.input.sample.label : null;
    const table = document.createElement("table");
    table.className = "compare__table";
    headRow(table, ["Model", "Answer", "Confidence", ...(label === null ? [] : ["Verdict"])]);
    const body = table.createTBody();
    for (const answer of results) answerRow(body, answer, shownModel, label);
    els.compare.replaceChildren(summaryLine(results), table);
    hooks.onResults?.(results, pixels);
  }

  return { run, cancel, showMessage };
}
