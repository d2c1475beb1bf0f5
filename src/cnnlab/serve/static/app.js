// cnnlab web app: runs, drawing pad with live predictions, layer maps, convolution stepper, kernel playground.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { runs: [], run: null, prediction: null, layer: null, step: 0, timer: null, busy: false, dirty: false };

function say(text) { $("message").textContent = text || ""; }

function floats(b64) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

function bytes(b64) { return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)); }

async function api(url, options) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({ error: `answer ${response.status} is not JSON` }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

// colour of a value: grey from lo..hi, or blue-white-red symmetric around 0 when `diverging`
function colour(v, lo, hi, diverging) {
  if (Number.isNaN(v)) return [230, 230, 230];
  if (diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const t = Math.max(-1, Math.min(1, v / m));
    return t >= 0 ? [255, Math.round(255 * (1 - t)), Math.round(255 * (1 - t))]
                  : [Math.round(255 * (1 + t)), Math.round(255 * (1 + t)), 255];
  }
  const g = Math.round(255 * Math.max(0, Math.min(1, (v - lo) / ((hi - lo) || 1))));
  return [g, g, g];
}

function paint(canvas, data, h, w, lo, hi, diverging, offset = 0) {
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const [r, g, b] = colour(data[offset + i], lo, hi, diverging);
    img.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

// the same, drawn `scale` times larger without smoothing, so thin outlines can be drawn over single pixels
function paintScaled(canvas, data, h, w, lo, hi, diverging, scale, offset = 0) {
  const small = document.createElement("canvas");
  paint(small, data, h, w, lo, hi, diverging, offset);
  canvas.width = w * scale; canvas.height = h * scale;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, w * scale, h * scale);
  return ctx;
}

function numbers(container, rows, highlight) {
  const table = document.createElement("table");
  table.className = "numbers";
  for (const row of rows) {
    const tr = table.insertRow();
    for (const v of row) {
      const td = tr.insertCell();
      td.textContent = Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
      if (highlight) td.style.background = `rgb(${colour(v, -highlight, highlight, true).join(",")})`;
    }
  }
  container.replaceChildren(table);
}

// ---- runs ----
async function loadRuns() {
  const { runs } = await api("/api/runs");
  state.runs = runs;
  const select = $("run");
  select.replaceChildren(...runs.map((r) => new Option(`${r.id} (${r.model} on ${r.data})`, r.id)));
  if (!runs.length) say("No runs: start `cnnlab serve RUN_DIR` with a trained run. The kernel playground works without one.");
  else await chooseRun(runs[0].id);
}

async function chooseRun(id) {
  const run = state.runs.find((r) => r.id === id);
  state.run = run; state.prediction = null; state.layer = null;
  const acc = run.test_accuracy == null ? "" : `, test accuracy ${(100 * run.test_accuracy).toFixed(2)}%`;
  $("run-info").textContent = `${run.task}${acc}`;
  $("report-frame").src = `/runs/${encodeURIComponent(id)}/report`;
  $("report-link").href = `/runs/${encodeURIComponent(id)}/report`;
  $("top").replaceChildren(); $("layers").replaceChildren();
  if (!run.can_predict) { say(`run ${id} cannot classify pictures (task ${run.task})`); return; }
  say("");
  const { layer } = await api(`/api/runs/${encodeURIComponent(id)}/first-layer`);
  state.layer = layer;
  $("step-filter").replaceChildren(...(layer ? layer.weight.map((_, i) => new Option(`filter ${i}`, i)) : []));
  drawStepper();
}

// ---- drawing pad ----
const pad = $("pad");
const pen = pad.getContext("2d");
function clearPad() {
  $("top").dataset.count = $("top").dataset.count || 0;
  pen.fillStyle = "#000"; pen.fillRect(0, 0, pad.width, pad.height);
  $("top").replaceChildren(); $("layers").replaceChildren(); state.prediction = null; drawStepper();
}
let last = null;
function at(event) {
  const r = pad.getBoundingClientRect();
  return [(event.clientX - r.left) * pad.width / r.width, (event.clientY - r.top) * pad.height / r.height];
}
pad.addEventListener("pointerdown", (e) => { pad.setPointerCapture(e.pointerId); last = at(e); stroke(last, last); });
pad.addEventListener("pointermove", (e) => { if (last) { const p = at(e); stroke(last, p); last = p; } });
for (const type of ["pointerup", "pointercancel"]) pad.addEventListener(type, () => { if (last) { last = null; predictPad(); } });
function stroke(a, b) {
  pen.strokeStyle = "#fff"; pen.lineCap = "round"; pen.lineJoin = "round"; pen.lineWidth = +$("brush").value;
  pen.beginPath(); pen.moveTo(a[0], a[1]); pen.lineTo(b[0], b[1]); pen.stroke();
  predictPad();
}

// live predictions: at most one request in flight; a drawing changed meanwhile is sent when it returns
function predictPad() {
  if (!state.run || !state.run.can_predict) return;
  if (state.busy) { state.dirty = true; return; }
  state.busy = true;
  $("top").dataset.state = "busy";
  pad.toBlob((blob) => predict(blob).finally(() => {
    state.busy = false;
    if (state.dirty) { state.dirty = false; predictPad(); }
  }), "image/png");
}

// #top's data-state is "busy" while a prediction is asked for or a changed drawing waits, "done" after
async function predict(body) {
  if (!state.run) return;
  const centre = $("centre").checked ? 1 : 0;
  state.pending = (state.pending || 0) + 1;
  $("top").dataset.state = "busy";
  try {
    const result = await api(`/api/runs/${encodeURIComponent(state.run.id)}/predict?maps=1&centre=${centre}`,
                             { method: "POST", body });
    state.prediction = result;
    showPrediction(result);
    $("top").dataset.count = +($("top").dataset.count || 0) + 1;
    say("");
  } catch (error) { say(error.message); } finally {
    state.pending -= 1;
    if (!state.pending && !state.dirty) $("top").dataset.state = "done";
  }
}

function showPrediction(result) {
  $("top").replaceChildren(...result.top.map((t) => {
    const li = document.createElement("li");
    li.dataset.class = t.class;
    li.textContent = `${t.class}  ${(100 * t.probability).toFixed(1)}%`;
    const bar = document.createElement("span");
    bar.className = "bar"; bar.style.width = `${Math.round(120 * t.probability)}px`;
    li.append(bar);
    return li;
  }));
  const [c, h, w] = result.input.shape;
  const pixels = bytes(result.input.pixels);  // (C, H, W) uint8: grey, or RGB planes
  const seen = $("seen");
  seen.width = w; seen.height = h;
  const picture = seen.getContext("2d").createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const rgb = c === 3 ? [pixels[i], pixels[h * w + i], pixels[2 * h * w + i]] : [pixels[i], pixels[i], pixels[i]];
    picture.data.set([...rgb, 255], 4 * i);
  }
  seen.getContext("2d").putImageData(picture, 0, 0);
  $("layers").replaceChildren(...result.layers.map((layer) => {
    const box = document.createElement("div");
    box.className = "layer"; box.dataset.name = layer.name;
    const title = document.createElement("h4");
    title.textContent = `${layer.name}  ${layer.kind}  ${layer.shape.join("x")}`;
    const maps = document.createElement("div");
    maps.className = "maps";
    if (layer.data) {
      const data = floats(layer.data);
      const [, lh, lw] = layer.shape;
      for (let k = 0; k < layer.channels; k++) {
        const canvas = document.createElement("canvas");
        canvas.className = "pixels"; canvas.title = `channel ${k}`;
        paint(canvas, data, lh, lw, layer.min, layer.max, true, k * lh * lw);
        maps.append(canvas);
      }
    }
    box.append(title, maps);
    return box;
  }));
  drawStepper();
}

$("clear").addEventListener("click", clearPad);
$("run").addEventListener("change", (e) => chooseRun(e.target.value).catch((err) => say(err.message)));
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) predict(e.dataTransfer.files[0]); });
$("file").addEventListener("change", (e) => { if (e.target.files[0]) predict(e.target.files[0]); });

// ---- convolution stepper ----
function geometry() {
  const L = state.layer, [c, h, w] = state.prediction.input.shape;
  const k = [L.weight[0][0].length, L.weight[0][0][0].length];
  const out = [0, 1].map((a) => Math.floor(([h, w][a] + 2 * L.padding[a] - L.dilation[a] * (k[a] - 1) - 1) / L.stride[a]) + 1);
  return { c, h, w, k, out };
}

function drawStepper() {
  const p = state.prediction, L = state.layer;
  if (!L) { $("step-sum").textContent = state.run ? "this model has no conv layer" : ""; return; }
  if (!p) { $("step-sum").textContent = "draw a digit or drop a picture first: the stepper slides over what the model saw"; return; }
  if (L.groups !== 1) { $("step-sum").textContent = "grouped first convolutions are not shown"; return; }
  const g = geometry(), f = +$("step-filter").value || 0;
  const total = g.out[0] * g.out[1];
  state.step = Math.max(0, Math.min(state.step, total - 1));
  const oy = Math.floor(state.step / g.out[1]), ox = state.step % g.out[1];
  const x = floats(p.input.data);
  const y0 = oy * L.stride[0] - L.padding[0], x0 = ox * L.stride[1] - L.padding[1];
  let sum = 0;
  const windows = [], kernels = [];
  for (let ch = 0; ch < g.c; ch++) {
    const win = [];
    for (let i = 0; i < g.k[0]; i++) {
      const row = [];
      for (let j = 0; j < g.k[1]; j++) {
        const yy = y0 + i * L.dilation[0], xx = x0 + j * L.dilation[1];
        const v = yy >= 0 && yy < g.h && xx >= 0 && xx < g.w ? x[(ch * g.h + yy) * g.w + xx] : 0;
        row.push(v);
        sum += v * L.weight[f][ch][i][j];
      }
      win.push(row);
    }
    windows.push(win); kernels.push(L.weight[f][ch]);
  }
  const value = sum + L.bias[f];
  // the input (channel 0) with the window
  const scale = Math.max(1, Math.floor(252 / Math.max(g.h, g.w)));
  const plane = x.slice(0, g.h * g.w);
  const ctx = paintScaled($("step-input"), x, g.h, g.w, Math.min(...plane), Math.max(...plane), false, scale);
  ctx.strokeStyle = "#e63946"; ctx.lineWidth = 2;
  ctx.strokeRect(x0 * scale, y0 * scale, ((g.k[1] - 1) * L.dilation[1] + 1) * scale, ((g.k[0] - 1) * L.dilation[0] + 1) * scale);
  numbers($("step-window"), windows[0]);
  const kmax = Math.max(...L.weight[f].flat(2).map(Math.abs));
  numbers($("step-kernel"), kernels[0], kmax);
  // the output map as far as the filter has come, from the model's own activations when they were sent
  const first = p.layers.find((l) => l.name === L.name);
  const model = first && first.data && f < first.channels ? floats(first.data) : null;
  const shown = new Float32Array(total);
  for (let i = 0; i < total; i++) shown[i] = model && i <= state.step ? model[f * total + i] : NaN;
  const oscale = Math.max(1, Math.floor(252 / Math.max(...g.out)));
  const octx = paintScaled($("step-output"), shown, g.out[0], g.out[1], first ? first.min : -1, first ? first.max : 1, true, oscale);
  octx.strokeStyle = "#000"; octx.lineWidth = 2;
  octx.strokeRect(ox * oscale, oy * oscale, oscale, oscale);
  const modelValue = model ? model[f * total + state.step] : null;
  const channels = g.c > 1 ? ` summed over ${g.c} channels (window and kernel of channel 0 shown)` : "";
  $("step-pos").textContent = `position ${state.step + 1} of ${total}: output row ${oy}, column ${ox}`;
  $("step-pos").dataset.step = state.step;
  $("step-sum").textContent = `sum(window * kernel) + bias = ${sum.toFixed(4)} + ${L.bias[f].toFixed(4)} = ${value.toFixed(4)}`
    + (modelValue == null ? "" : `   (the model computed ${modelValue.toFixed(4)})`) + channels;
  $("step-sum").dataset.value = value; $("step-sum").dataset.model = modelValue;
}

function move(delta) { state.step += delta; drawStepper(); }
$("step-next").addEventListener("click", () => move(1));
$("step-back").addEventListener("click", () => move(-1));
$("step-reset").addEventListener("click", () => { state.step = 0; drawStepper(); });
$("step-filter").addEventListener("change", drawStepper);
$("step-play").addEventListener("click", () => {
  if (state.timer) { clearInterval(state.timer); state.timer = null; $("step-play").textContent = "Play"; return; }
  $("step-play").textContent = "Pause";
  state.timer = setInterval(() => move(1), 80);
});

// ---- kernel playground ----
async function loadKernels() {
  const { kernels, samples } = await api("/api/kernels");
  $("k-name").replaceChildren(...kernels.map((k) => new Option(k, k)));
  $("k-name").value = "sobel_x";
  $("k-sample").replaceChildren(...samples.map((s) => new Option(s, s)), new Option("my drawing", "drawing"));
}

function padPixels() {
  // the drawing pad shrunk to 140x140 grey values, for the playground
  const small = document.createElement("canvas");
  small.width = 140; small.height = 140;
  small.getContext("2d").drawImage(pad, 0, 0, 140, 140);
  const data = small.getContext("2d").getImageData(0, 0, 140, 140).data;
  const rows = [];
  for (let y = 0; y < 140; y++) { const row = []; for (let x = 0; x < 140; x++) row.push(data[4 * (y * 140 + x)]); rows.push(row); }
  return rows;
}

async function applyKernel() {
  const typed = $("k-typed").value.trim();
  const spec = {};
  if (typed) spec.kernel = typed.split(";").map((row) => row.split(",").map(Number));
  else {
    spec.kernel = $("k-name").value;
    if ($("k-size").value) spec.size = +$("k-size").value;
    if ($("k-sigma").value) spec.sigma = +$("k-sigma").value;
  }
  if ($("k-sample").value === "drawing") spec.pixels = padPixels(); else spec.sample = $("k-sample").value;
  try {
    const r = await api("/api/filter", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(spec) });
    paint($("k-input"), floats(r.input.data), r.input.shape[0], r.input.shape[1], 0, 1, false);
    const diverging = r.output.min < 0;
    paint($("k-output"), floats(r.output.data), r.output.shape[0], r.output.shape[1], r.output.min, r.output.max, diverging);
    const kmax = Math.max(...r.kernel.flat().map(Math.abs));
    numbers($("k-kernel"), r.kernel, kmax);
    $("k-kernel-caption").textContent = `${r.kernel_name} ${r.kernel.length}x${r.kernel[0].length}`;
    $("k-range").textContent = `output ${r.output.shape.join("x")}, values ${r.output.min.toPrecision(3)} .. ${r.output.max.toPrecision(3)}`;
    say("");
  } catch (error) { say(error.message); }
}
$("k-apply").addEventListener("click", applyKernel);

clearPad();
Promise.all([loadRuns(), loadKernels()]).then(applyKernel).catch((error) => say(error.message));
