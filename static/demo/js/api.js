// The public Hippo API, exactly as a third-party frontend would call it, through one request
// helper: JSON in and out, every failure an ApiError with the server's error code (from the
// envelope {"error": {"code", "message", "fields"}}; "unreachable" when no HTTP answer arrived at
// all). `Latest` cancels a request when a newer one of the same kind starts.

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

/**
 * The newest request of each kind (a prediction while the user keeps drawing, samples while the
 * user changes the dataset): `begin(kind)` aborts the previous one of that kind and returns the
 * new one's signal; an answer that arrives for a signal that is no longer current is stale.
 */
export class Latest {
  #controllers = new Map();

  begin(kind) {
    this.#controllers.get(kind)?.abort();
    const controller = new AbortController();
    this.#controllers.set(kind, controller);
    return controller.signal;
  }

  isCurrent(kind, signal) {
    return this.#controllers.get(kind)?.signal === signal;
  }

  cancel(kind) {
    this.#controllers.get(kind)?.abort();
    this.#controllers.delete(kind);
  }
}

/** The request kept in `cache` under `key` (made by `start()` the first time), forgotten again if
 *  it fails so that a later call retries. */
export function remember(cache, key, start) {
  if (!cache.has(key)) {
    const request = start();
    request.catch(() => cache.delete(key));
    cache.set(key, request);
  }
  return cache.get(key);
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
