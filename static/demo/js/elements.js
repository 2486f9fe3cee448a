// Every element the page's scripts use, looked up once. A missing id is a broken template: it
// throws at start-up naming the id, instead of a "cannot read properties of null" later on, and
// reading a name that is not in the list throws too (a typo is not a silent `undefined`).

const IDS = [
  "app",
  "banner",
  "banner-retry",
  "banner-text",
  "clear",
  "compare",
  "confusion",
  "confusion-compare",
  "curves",
  "flow",
  "gallery",
  "gallery-controls",
  "gallery-count",
  "gallery-dataset",
  "gallery-mistakes",
  "gallery-status",
  "gallery-title",
  "image-input",
  "inspector-text",
  "layer-explain",
  "layers",
  "mini-digit",
  "mini-result",
  "mini-text",
  "model-accuracy",
  "model-activation",
  "model-architecture",
  "model-select",
  "model-source",
  "model-source-list",
  "network-stage",
  "neuron-tooltip",
  "no-model",
  "no-model-detail",
  "pad",
  "pad-hint",
  "pad-wrap",
  "pen-width",
  "predicted-digit",
  "prediction",
  "prediction-card",
  "prediction-error",
  "prediction-model",
  "prediction-source",
  "prediction-text",
  "probabilities",
  "recurrent",
  "recurrent-compare",
  "recurrent-digit",
  "recurrent-gates",
  "recurrent-gates-title",
  "recurrent-heatmap",
  "recurrent-intro",
  "recurrent-play",
  "recurrent-row",
  "recurrent-row-label",
  "recurrent-steps",
  "recurrent-title",
  "recurrent-verdict",
  "seen",
  "sparkline",
  "training-facts",
  "training-hint",
  "undo",
  "upload-error",
  "verdict",
  "view-grids",
  "view-neurons",
  "weights",
  "weights-canvas",
  "weights-explain",
  "weights-max",
  "weights-min",
];

/** "model-select" → "modelSelect". */
function camel(id) {
  return id.replace(/-([a-z])/g, (_, letter) => letter.toUpperCase());
}

/**
 * The page's elements by camel-cased id (`els.modelSelect` is `#model-select`).
 * @param {Document} root
 * @returns {Record<string, HTMLElement>}
 * @throws {Error} naming the first id the page does not have
 */
export function findElements(root = document) {
  const found = {};
  for (const id of IDS) {
    const element = root.getElementById(id);
    if (!element) throw new Error(`Hippo demo page: no element with id "${id}" (see static/demo/js/elements.js)`);
    found[camel(id)] = element;
  }
  return new Proxy(Object.freeze(found), {
    get(target, name) {
      if (typeof name === "string" && !(name in target)) {
        throw new Error(`Hippo demo page: no element named "${name}" in static/demo/js/elements.js`);
      }
      return target[name];
    },
  });
}
