/* paxsilica dashboard: draws the embedded Plotly figures, switches digits, runs scenarios. */
"use strict";

const ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩";
const wantsArabicDigits = () => document.documentElement.dataset.digits === "arabic";

function localiseDigits(text) {
  if (!wantsArabicDigits()) return text;
  return String(text).replace(/[0-9]/g, (d) => ARABIC_DIGITS[Number(d)]).replace(/(\d|[٠-٩])\.(?=[0-9٠-٩])/g, "$1٫");
}

function localiseSvgText(root) {
  if (!wantsArabicDigits()) return;
  root.querySelectorAll("svg text, svg tspan").forEach((node) => {
    if (node.children.length === 0 && /[0-9]/.test(node.textContent)) {
      node.textContent = localiseDigits(node.textContent);
    }
  });
}

function drawFigures() {
  document.querySelectorAll("[data-figure]").forEach((el) => {
    const source = document.getElementById(el.dataset.figure);
    if (!source) return;
    const fig = JSON.parse(source.textContent);
    Plotly.newPlot(el, fig.data, fig.layout, {displaylogo: false, responsive: true})
      .then(() => {
        localiseSvgText(el);
        el.on("plotly_afterplot", () => localiseSvgText(el));
        el.on("plotly_hover", () => localiseSvgText(el));
        el.dataset.drawn = "1";
      });
  });
}

function statusBox() {
  const box = document.getElementById("run-status");
  if (!box) return null;
  return {
    box,
    show(phase, elapsed, fraction) {
      box.hidden = false;
      const name = box.dataset["l" + phase.charAt(0).toUpperCase() + phase.slice(1)] || phase;
      const time = elapsed == null ? "" :
        ` · ${box.dataset.lElapsed} ${localiseDigits(elapsed.toFixed(1))} ${box.dataset.lS}`;
      document.getElementById("run-phase").textContent = name + time;
      box.dataset.phase = phase;
      if (fraction != null) document.getElementById("run-progress").value = fraction;
    },
    error(message) {
      box.hidden = false;
      box.dataset.phase = "failed";
      document.getElementById("run-phase").textContent = message;
    },
  };
}

function pageQuery() {
  const root = document.documentElement;
  return `lang=${root.dataset.lang}&digits=${root.dataset.digits}`;
}

async function poll(runId, status, onDone) {
  for (;;) {
    const response = await fetch(`/api/runs/${runId}`, {credentials: "same-origin"});
    if (!response.ok) { status.error(`HTTP ${response.status}`); return; }
    const run = await response.json();
    const progress = run.progress || {};
    const phase = run.status === "running" ? (progress.phase || "running") : run.status;
    status.show(phase, progress.elapsed_s, run.status === "complete" ? 1 : progress.fraction);
    if (run.status === "complete") { onDone(run); return; }
    if (run.status === "failed") { status.error((progress.error || run.meta.error || "failed")); return; }
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

function setupRunForm() {
  const form = document.getElementById("run-form");
  if (!form) return;
  const token = document.getElementById("token");
  token.value = localStorage.getItem("paxsilica_token") || "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = statusBox();
    const secret = token.value.trim();
    localStorage.setItem("paxsilica_token", secret);
    document.cookie = `paxsilica_token=${encodeURIComponent(secret)}; path=/; SameSite=Strict`;
    const body = {scenario: form.scenario.value};
    if (form.draws.value) body.draws = Number(form.draws.value);
    if (form.seed.value) body.seed = Number(form.seed.value);
    status.show("queued", null, 0);
    const response = await fetch("/api/runs", {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": `Bearer ${secret}`},
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      status.error(`${response.status}: ${answer.message || answer.detail || ""}`);
      return;
    }
    form.dataset.runId = answer.run_id;
    poll(answer.run_id, status, () => {
      window.location.href = `/runs/${answer.run_id}?${pageQuery()}`;
    });
  });
}

function setupRunPage() {
  const box = document.getElementById("run-status");
  if (!box || !box.dataset.run) return;
  poll(box.dataset.run, statusBox(), () => window.location.reload());
}

document.addEventListener("DOMContentLoaded", () => {
  drawFigures();
  setupRunForm();
  setupRunPage();
});
