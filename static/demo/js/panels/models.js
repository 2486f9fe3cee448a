// The model bar: the model list of `GET /models` (unavailable ones listed but not selectable), the
// selected model's facts and source, and the "No model yet" notice when none can answer.

import { isAbort } from "../api.js";
import { definitionItems } from "../dom.js";
import { formatAccuracy } from "../format.js";
import { describeSource, friendlyName } from "../models.js";
import { availableModels, modelByName } from "../state.js";

function optionFor(model) {
  const available = model.status === "available";
  const text =
    [friendlyName(model), formatAccuracy(model.accuracy)].join(" · ") +
    (model.is_default ? " (default)" : "") +
    (available ? "" : ` (${model.status})`);
  const option = new Option(text, model.name);
  option.disabled = !available;
  return option;
}

/**
 * @param {{els: object, api: object, latest: import("../api.js").Latest, state: object, report: Function,
 *   showBanner: (message: string) => void}} page
 * @param {{onNoModel: () => void, onListFailed: () => void, onModelsReady: () => void,
 *   onSelect: (name: string, changed: boolean) => void, onSelected: () => void}} hooks
 *   `onSelect`: a model was selected (`changed`: another than before); `onSelected`: the first
 *   selection after loading the list is complete.
 */
export function initModels({ els, api, latest, state, report, showBanner }, hooks) {
  function showFacts(model) {
    // An MLP reads best as its layer sizes; other networks as their layer specs (conv, pool, ...).
    const spec = String(model.architecture ?? "");
    const layered = /conv|pool|dropout|flatten/i.test(spec);
    els.modelArchitecture.textContent = (layered ? spec.split("-").join(" → ") : model.sizes?.join(" → ")) || spec || "–";
    els.modelActivation.textContent = [model.activation, model.output].filter(Boolean).join(" / ") || "–";
    els.modelAccuracy.textContent = formatAccuracy(model.accuracy);
    const source = describeSource(model);
    els.modelSource.textContent = source.summary;
    els.modelSourceList.replaceChildren(...definitionItems(source.details));
  }

  /** No model can answer (`detail` says why, when there is more to say than the notice). */
  function showNoModel(detail = "") {
    els.app.dataset.state = "no-model";
    els.noModel.hidden = false;
    els.noModelDetail.textContent = detail;
    state.model = null;
    els.modelSelect.replaceChildren(new Option("No models available"));
    els.modelSelect.disabled = true;
    for (const fact of [els.modelArchitecture, els.modelActivation, els.modelAccuracy, els.modelSource]) {
      fact.textContent = "–";
    }
    els.modelSourceList.replaceChildren();
    hooks.onNoModel();
  }

  function select(name) {
    const changed = state.model !== name;
    state.model = name;
    const model = modelByName(state, name);
    if (model) showFacts(model);
    els.app.dataset.model = name;
    hooks.onSelect(name, changed);
  }

  async function load() {
    els.app.dataset.state = "loading";
    let payload;
    try {
      payload = await api.listModels(latest.begin("models"));
    } catch (error) {
      if (isAbort(error)) return;
      report(error, "models", (message) => {
        els.app.dataset.state = "error";
        els.modelSelect.replaceChildren(new Option("Models could not be loaded"));
        hooks.onListFailed();
        if (error.code !== "unreachable") showBanner(`The model list could not be loaded: ${message}`);
      });
      if (error.code !== "unreachable") state.failed.add("models");
      return;
    }
    state.models = payload.models;
    const usable = availableModels(state);
    if (usable.length === 0) {
      showNoModel(
        state.models.length > 0
          ? "Models are registered, but none is available right now (see the admin's status column)."
          : "",
      );
      return;
    }
    els.noModel.hidden = true;
    hooks.onModelsReady();
    const preferred = usable.find((m) => m.name === payload.default) ?? usable.find((m) => m.is_default);
    els.modelSelect.replaceChildren(...state.models.map(optionFor));
    els.modelSelect.disabled = false;
    els.modelSelect.value = (preferred ?? usable[0]).name;
    els.app.dataset.state = "ready";
    select(els.modelSelect.value);
    hooks.onSelected();
  }

  els.modelSelect.addEventListener("change", (event) => select(event.target.value));

  return { load, showNoModel };
}
