// The arithmetic behind "show the flow" and "what drives this neuron", on the weights endpoint's
// dense bodies (`weights`: one row of incoming weights per neuron).

/**
 * The `count` strongest contributions weight × activation into a dense layer for this input.
 * @param {number[][]} weights one row per neuron of the layer, one column per input
 * @param {number[]} inputs the previous layer's values
 * @param {(neuron: number) => boolean} keep which target neurons may appear
 * @returns {{from: number, to: number, value: number}[]} strongest first
 */
export function topContributions(weights, inputs, count, keep = () => true, keepFrom = () => true) {
  const links = [];
  let floor = 0;
  for (let to = 0; to < weights.length; to += 1) {
    if (!keep(to)) continue;
    const row = weights[to];
    for (let from = 0; from < inputs.length; from += 1) {
      const a = inputs[from];
      if (a === 0 || !keepFrom(from)) continue;
      const value = row[from] * a;
      if (Math.abs(value) <= floor) continue;
      links.push({ from, to, value });
      // Prune now and then so a 784 × 100 layer never holds 78,400 candidates.
      if (links.length > count * 8) {
        links.sort((x, y) => Math.abs(y.value) - Math.abs(x.value));
        links.length = count;
        floor = Math.abs(links[count - 1].value);
      }
    }
  }
  links.sort((x, y) => Math.abs(y.value) - Math.abs(x.value));
  return links.slice(0, count);
}

/** d activation / d pre-activation of each neuron, from the layer's values and pre-activations. */
function slope(detail) {
  const values = detail.values;
  const pre = detail.pre_activations ?? values;
  switch (detail.activation) {
    case "relu":
      return pre.map((z) => (z > 0 ? 1 : 0));
    case "leaky_relu":
      return pre.map((z) => (z > 0 ? 1 : 0.01));
    case "sigmoid":
      return values.map((a) => a * (1 - a));
    case "tanh":
      return values.map((a) => 1 - a * a);
    default:
      return values.map(() => 1);
  }
}

/**
 * What drives neuron `neuron` of dense layer `layer`, as a 784-pixel map: the gradient of its
 * weighted input (pre-activation) with respect to the input pixels, for the current input. For
 * the first hidden layer that is exactly its weights; further in, each earlier layer's weights are
 * chained through the neurons that are active for this input (a linear path through the network).
 *
 * @param {number[][][]} weightsByLayer dense weight matrices: [0] into layer 1, [1] into layer 2...
 * @param {object[]} details the activations' layer details (dense layers only)
 * @returns {number[]} 784 values: red raises the neuron, blue lowers it
 */
export function projectToInput(weightsByLayer, details, layer, neuron) {
  let v = weightsByLayer[layer - 1][neuron].slice();
  for (let l = layer - 1; l >= 1; l -= 1) {
    const gate = slope(details[l]);
    const w = weightsByLayer[l - 1];
    const next = new Array(w[0].length).fill(0);
    for (let j = 0; j < v.length; j += 1) {
      const g = v[j] * gate[j];
      if (g === 0) continue;
      const row = w[j];
      for (let i = 0; i < next.length; i += 1) next[i] += g * row[i];
    }
    v = next;
  }
  return v;
}
