// The public Hippo API, exactly as a third-party frontend would call it. Every failure becomes an
// ApiError with the server's error code ("unreachable" when no HTTP answer arrived at all).

export class ApiError extends Error {
  constructor(code, message, status = 0, fields = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
}

export function isAbort(error) {
  return error?.name === "AbortError";
}

export function createApi(base = "") {
  const root = base.replace(/\/$/, "");

  async function request(path, { method = "GET", body, form, signal } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(root + path, {
        method,
        headers,
        body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
        signal,
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError("unreachable", "The server could not be reached.");
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch (error) {
      if (isAbort(error)) throw error;
    }
    if (!response.ok) {
      const detail = payload?.error;
      throw new ApiError(
        detail?.code ?? `http_${response.status}`,
        detail?.message ?? `The server answered ${response.status} ${response.statusText}.`.trim(),
        response.status,
        detail?.fields ?? {},
      );
    }
    if (payload === null) {
      throw new ApiError("bad_response", "The server's answer was not JSON.", response.status);
    }
    return payload;
  }

  const withModel = (payload, model) => (model ? { ...payload, model } : payload);
  const modelPath = (name) => `/models/${encodeURIComponent(name)}`;

  return {
    listModels: (signal) => request("/models", { signal }),
    getModel: (name, signal) => request(modelPath(name), { signal }),
    neuronWeights: (name, neuron, signal, layer = 0) =>
      request(`${modelPath(name)}/weights?layer=${layer}&neuron=${neuron}`, { signal }),
    layerWeights: (name, layer, signal) => request(`${modelPath(name)}/weights?layer=${layer}`, { signal }),
    examples: (name, params, signal) =>
      request(`${modelPath(name)}/examples?${new URLSearchParams(params)}`, { signal }),
    predictImageFile: (blob, model, signal) => {
      const form = new FormData();
      form.append("image", blob, blob.name || "image.png");
      if (model) form.append("model", model);
      return request("/predict/image", { method: "POST", form, signal });
    },
    predictImage: (dataUrl, model, signal) =>
      request("/predict/image", { method: "POST", body: withModel({ image: dataUrl }, model), signal }),
    predict: (pixels, model, signal) =>
      request("/predict", { method: "POST", body: withModel({ pixels }, model), signal }),
    predictBatch: (batch, model, signal) =>
      request("/predict", { method: "POST", body: withModel({ batch }, model), signal }),
    activations: (pixels, model, signal) =>
      request("/activations", { method: "POST", body: withModel({ pixels }, model), signal }),
    samples: (dataset, count, signal) =>
      request(`/mnist/samples?dataset=${encodeURIComponent(dataset)}&count=${count}`, { signal }),
  };
}
