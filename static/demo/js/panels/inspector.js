// The neuron inspector under the network: the value of the neuron the user points at (or moves
// to with the arrow keys), and what drives it as a 28 × 28 map (a conv map's kernel, or a dense
// neuron's weights projected back to the pixels through the neurons active for this input).

import { isAbort } from "../api.js";
import { diverging, paintPixels } from "../colors.js";
import { projectToInput } from "../contributions.js";
import { layerTitle, layerType, mapShape } from "../explain.js";
import { formatPercent, formatValue } from "../format.js";

const PROMPT = "Point at a neuron (or focus a layer and use the arrow keys) to see its value and what drives it.";

/**
 * @param {{els: object, api: object, state: object}} page
 * @param {{layerWeights: (model: string, layer: number) => Promise<object>}} network
 */
export function initInspector({ els, api, state }, { layerWeights }) {
  function reset() {
    state.inspecting = null;
    els.weights.dataset.shown = "false";
    els.weightsExplain.textContent = "";
    els.inspectorText.textContent = PROMPT;
  }

  /** The inspected neuron's value, in words. */
  function describe({ layer, neuron, detail, details: all }) {
    const title = layerTitle(detail, all);
    const value = detail.values[neuron];
    const pre = detail.pre_activations ? detail.pre_activations[neuron] : null;
    let text;
    if (layer === 0) {
      text = `${title} pixel (${neuron % 28}, ${Math.floor(neuron / 28)}): ink ${formatValue(value)}.`;
    } else if (layer === all.length - 1) {
      text = `${title} neuron for digit ${neuron}: probability ${formatPercent(value)}`;
      text += pre === null ? "." : ` (score before softmax ${formatValue(pre)}).`;
    } else if (mapShape(detail)) {
      const [, h, w] = mapShape(detail);
      const channel = Math.floor(neuron / (h * w));
      const rest = neuron % (h * w);
      text = `${title}, map ${channel} at (${rest % w}, ${Math.floor(rest / w)}): ${formatValue(value)}.`;
    } else {
      text = `${title}, neuron ${neuron}: activation ${formatValue(value)}`;
      text += pre === null ? "." : ` (weighted input ${formatValue(pre)}).`;
    }
    els.inspectorText.textContent = text;
  }

  function inspect(info) {
    state.inspecting = { layer: info.layer, neuron: info.neuron };
    describe(info);
    showDrivers(info);
  }

  function hideDrivers(message = "") {
    els.weights.dataset.shown = "false";
    els.weightsExplain.textContent = message;
  }

  function paintDrivers(values, width, height, explain) {
    const max = Math.max(...values.map(Math.abs)) || 1;
    paintPixels(els.weightsCanvas, values, width, height, (v) => diverging(v / max));
    els.weightsMin.textContent = `−${formatValue(max)}`;
    els.weightsMax.textContent = `+${formatValue(max)}`;
    els.weightsExplain.textContent = explain;
    els.weights.dataset.shown = "true";
  }

  /** What drives the inspected neuron, as a 28 × 28 map (or a conv kernel). */
  async function showDrivers({ layer, neuron, detail, details: all }) {
    const model = state.result?.model ?? state.model;
    if (!model || layer === 0) {
      hideDrivers(layer === 0 ? "An input pixel is just the image: nothing drives it." : "");
      return;
    }
    const still = () =>
      state.inspecting?.layer === layer && state.inspecting?.neuron === neuron && state.result?.model === model;
    try {
      if (layerType(detail) === "conv2d" && mapShape(detail)) {
        const [, h, w] = mapShape(detail);
        const channel = Math.floor(neuron / (h * w));
        const payload = await api.neuronWeights(model, channel, undefined, detail.weights_layer);
        if (!still()) return;
        const [kh, kw] = payload.image_shape;
        const [inC] = payload.kernel_shape;
        const summed = Array.from({ length: kh * kw }, (_, p) => {
          let v = 0;
          for (let c = 0; c < inC; c += 1) v += payload.weights[c * kh * kw + p];
          return v;
        });
        const over = inC > 1 ? `, summed over ${inC} input maps` : "";
        paintDrivers(summed, kw, kh, `Map ${channel}'s kernel (${kh} × ${kw}${over}): the pattern this map looks for, wherever it is.`);
        return;
      }
      const chain = all.slice(1, layer + 1);
      if (!chain.every((d) => layerType(d) === "dense")) {
        hideDrivers("Projection back to the pixels is drawn for dense layers after the input; this one sits after convolutions.");
        return;
      }
      const matrices = await Promise.all(chain.map((d) => layerWeights(model, d.weights_layer)));
      if (!still()) return;
      const map = projectToInput(
        matrices.map((m) => m.weights),
        all,
        layer,
        neuron,
      );
      const what = layer === all.length - 1 ? `the score of ${neuron}` : "it";
      const explain =
        layer === 1
          ? "Its weights: ink on red pixels raises its activation, ink on blue pixels lowers it."
          : `Its weights projected back to the pixels through the neurons that are active for this input: ink on red pixels raises ${what}, ink on blue lowers it.`;
      paintDrivers(map, 28, 28, explain);
    } catch (error) {
      if (isAbort(error)) return;
      hideDrivers(`Its weights could not be loaded: ${error.message}`);
    }
  }

  return { reset, describe, inspect };
}
