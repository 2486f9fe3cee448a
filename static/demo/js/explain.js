// Plain-language names and one-line explanations of layers, driven by the activations contract
// (`type`, `shape`, `activation` of `POST /activations`' layer details).

const ACTIVATION_NAMES = {
  relu: "ReLU",
  leaky_relu: "leaky ReLU",
  sigmoid: "sigmoid",
  tanh: "tanh",
  softmax: "softmax",
  linear: "no activation",
};

export function activationLabel(name) {
  return ACTIVATION_NAMES[name] ?? name ?? "";
}

/** The layer's kind: "input", "dense", "conv2d", "maxpool2d", "flatten", "dropout". */
export function layerType(detail) {
  return detail.type;
}

/** [channels, height, width] for feature maps, null for flat layers. */
export function mapShape(detail) {
  const shape = detail.shape;
  if (Array.isArray(shape) && shape.length === 3) return shape;
  return null;
}

/** Layers that only pass values on (shown by the layer before them): flatten and dropout. */
export function isPassThrough(detail) {
  const type = layerType(detail);
  return type === "flatten" || type === "dropout";
}

/** "Input", "Hidden layer 2", "Convolution 1", "Max pooling 1", "Output". */
export function layerTitle(detail, details) {
  const type = layerType(detail);
  if (type === "input" || detail.index === 0) return "Input";
  if (detail.index === details.length - 1) return "Output";
  const same = details.filter((d) => layerType(d) === type && d.index <= detail.index && d.index > 0);
  const n = same.length;
  if (type === "conv2d") return `Convolution ${n}`;
  if (type === "maxpool2d") return `Max pooling ${n}`;
  if (type === "dense") return `Hidden layer ${n}`;
  return `${type} ${n}`;
}

/** The short size line under a layer's title. */
export function layerMeta(detail) {
  const type = layerType(detail);
  const maps = mapShape(detail);
  if (type === "input") return "28 × 28 pixels";
  const act = detail.activation && detail.activation !== "input" ? ` · ${activationLabel(detail.activation)}` : "";
  if (maps) return `${maps[0]} maps of ${maps[1]} × ${maps[2]}${type === "maxpool2d" ? "" : act}`;
  return `${detail.size} neurons${act}`;
}

function activationSentence(name) {
  switch (name) {
    case "relu":
      return "ReLU then keeps positive sums and turns negative ones into 0, so a neuron is either silent or on.";
    case "leaky_relu":
      return "Leaky ReLU keeps positive sums and shrinks negative ones to a hundredth.";
    case "sigmoid":
      return "The sigmoid then squashes the sum into 0..1: a soft on/off switch.";
    case "tanh":
      return "tanh then squashes the sum into −1..1.";
    default:
      return "";
  }
}

/** One sentence on what the layer does, with its activation explained where it appears. */
export function layerExplanation(detail, details) {
  const type = layerType(detail);
  const maps = mapShape(detail);
  const isOutput = detail.index === details.length - 1;
  if (type === "input") return "The image as 784 numbers: 0 is paper, 1 is ink. Nothing is computed here.";
  if (type === "conv2d" && maps) {
    return `Slides ${maps[0]} small learned patterns (kernels) over its input; each map lights up where its pattern appears. ${activationSentence(detail.activation)}`.trim();
  }
  if (type === "maxpool2d") return "Keeps the strongest value of each small patch: the maps shrink, the features stay.";
  if (isOutput) {
    const base = "One neuron per digit, each a weighted sum of the layer before.";
    if (detail.activation === "softmax") {
      return `${base} Softmax turns these scores into probabilities that add up to 100 %: the biggest score wins.`;
    }
    return `${base} ${activationSentence(detail.activation)}`.trim();
  }
  return `Each neuron multiplies every value of the layer before by its own weight, adds them up with a bias. ${activationSentence(detail.activation)}`.trim();
}
