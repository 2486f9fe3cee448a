// The demo page's entry point: it finds the page's elements, creates the shared state and API
// client, starts every panel and connects them; the panels do the work (static/demo/js/panels/).
// Panels never import each other: what one needs from another is a hook wired here.

import { Latest, createApi } from "./api.js";
import { DIVERGING_GRADIENT, SEQUENTIAL_GRADIENT } from "./colors.js";
import { findElements } from "./elements.js";
import { initBanner } from "./panels/banner.js";
import { initCompare } from "./panels/compare.js";
import { initDrawing } from "./panels/drawing.js";
import { initGallery } from "./panels/gallery.js";
import { initInspector } from "./panels/inspector.js";
import { initModels } from "./panels/models.js";
import { initNetwork } from "./panels/network.js";
import { initPrediction } from "./panels/prediction.js";
import { initRecurrent } from "./panels/recurrent.js";
import { initTraining } from "./panels/training.js";
import { Sketchpad } from "./sketchpad.js";
import { createState } from "./state.js";

function start() {
  const els = findElements();
  const page = {
    els,
    api: createApi(els.app.dataset.apiBase ?? ""),
    latest: new Latest(),
    state: createState(),
    pad: new Sketchpad(els.pad),
  };
  // The hooks below call panels created further down: they run only once start() has returned
  // (on user input, answers, or the first requests started at its end).
  const banner = initBanner(page, {
    onNoModel: (detail) => models.showNoModel(detail),
    redo: {
      models: () => models.load(),
      gallery: () => gallery.load(),
      detail: (name) => training.load(name),
      input: () => prediction.rerun(),
      galleryPredictions: () => gallery.predict(),
    },
  });
  page.report = banner.report;
  page.showBanner = banner.show;

  const recurrent = initRecurrent(page);
  const compare = initCompare(page, {
    onResults: (results, pixels) => recurrent.compareWith(results, pixels),
  });
  const shownNetwork = initNetwork(page, {
    onInspect: (info) => inspector.inspect(info),
    onRedescribe: (info) => inspector.describe(info),
    resetInspector: () => inspector.reset(),
    onAnswer: (pixels, model) => {
      recurrent.show(page.state.result);
      compare.run(pixels, model);
    },
  });
  // Whenever the network shows no answer, the row-by-row panel has none either.
  const network = {
    ...shownNetwork,
    showEmpty: (message) => {
      shownNetwork.showEmpty(message);
      recurrent.hide();
    },
  };
  const inspector = initInspector(page, network);
  const drawing = initDrawing(page, {
    onEmpty: () => prediction.reset(),
    onStrokeStart: () => prediction.resetHistory(),
    onNewDrawing: () => gallery.clearCurrent(),
    onDraw: (final) => prediction.runDrawing(final),
    onImage: (blob, how) => prediction.runImage(blob, how),
  });
  const prediction = initPrediction(page, {
    network: { ...network, resetInspector: () => inspector.reset() },
    compare,
    drawing,
    gallery: { clearCurrent: () => gallery.clearCurrent() },
  });
  const gallery = initGallery(page, {
    onPick: (sample, dataset, options) => prediction.useSample(sample, dataset, options),
    onNothingToShow: () => drawing.drawSeven(),
  });
  const training = initTraining(page, {
    onCell: (truth, predicted) => gallery.showCell(truth, predicted),
  });
  const models = initModels(page, {
    onNoModel: () => {
      drawing.setEnabled(false, "Drawing is disabled until a model exists");
      prediction.setHeadline("No model to predict with yet.");
      training.clear("Train a model to see its learning curves and confusion matrix here.", { confusion: true });
      network.showEmpty("No model yet: train one to see inside it.");
      gallery.forgetPredictions();
    },
    onListFailed: () => {
      prediction.setHeadline("No predictions: the model list could not be loaded.");
      drawing.setEnabled(false, "Drawing resumes once the server answers");
      training.clear("Shown once the model list has loaded.");
      network.showEmpty("The network appears once the server answers.");
    },
    onModelsReady: () => drawing.setEnabled(true, "Draw a digit here"),
    onSelect: (name, changed) => {
      // The inspected neuron belonged to the previous model (whose layers may differ).
      if (changed) inspector.reset();
      prediction.showModel(name);
      training.fillCompareSelect();
      training.load(name);
      prediction.rerun();
      gallery.modelChanged();
    },
    onSelected: () => gallery.showFirstSample(),
  });

  document.documentElement.style.setProperty("--sequential", SEQUENTIAL_GRADIENT);
  document.documentElement.style.setProperty("--diverging", DIVERGING_GRADIENT);
  prediction.reset();
  prediction.setHeadline("Loading a sample…");
  drawing.updateButtons();
  models.load();
  gallery.load();
}

start();
