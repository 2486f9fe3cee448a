// Model names for people: "mnist-784-64-32-10-relu" means little to a newcomer, so the page says
// "2 hidden layers (64, 32) · ReLU" unless the registry has a display name of its own; where a
// model came from (store, repo, revision) sits behind a details toggle.

import { activationLabel } from "./explain.js";

function describeSizes(model) {
  const sizes = Array.isArray(model.sizes) ? model.sizes : [];
  const hidden = sizes.slice(1, -1);
  const act = activationLabel(model.activation);
  if (model.architecture && /conv|cnn/i.test(String(model.architecture))) return `Convolutional · ${model.architecture}`;
  if (sizes.length < 2) return model.name;
  if (hidden.length === 0) return `No hidden layer · ${act}`;
  if (hidden.length === 1) return `1 hidden layer of ${hidden[0]} · ${act}`;
  return `${hidden.length} hidden layers (${hidden.join(", ")}) · ${act}`;
}

/** A readable name: the registry's display name when it is one, else the architecture in words. */
export function friendlyName(model) {
  if (!model) return "–";
  const display = model.display_name;
  if (display && display !== model.name) return display;
  return describeSizes(model);
}

/** Where the model's file lives, in words, and the exact location as term/value pairs. */
export function describeSource(model) {
  const hub = model?.hub ?? {};
  if (!hub.repo) return { summary: "–", details: [] };
  const summary = hub.store === "hub" ? `Hugging Face Hub · ${hub.repo}` : "Stored on this server";
  const details = [
    ["Registry name", model.name],
    ["Store", hub.store === "hub" ? "Hugging Face Hub" : "local folder"],
    ["Repository", hub.repo],
    ["File", hub.filename],
    ["Revision", hub.revision],
  ].filter(([, value]) => value);
  return { summary, details, url: hub.url };
}
