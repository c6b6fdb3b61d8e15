/* paxsilica dashboard: draws the embedded Plotly figures, switches digits, runs scenarios,
   sorts tables and saves them as CSV. */
"use strict";

const ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩";
const wantsArabicDigits = () => document.documentElement.dataset.digits === "arabic";

function localiseDigits(text) {
  if (!wantsArabicDigits()) return text;
  return String(text)
    .replace(/(\d),(?=\d{3})/g, "$1٬")                       // thousands separator
    .replace(/(\d)\.(?=\d)/g, "$1٫")                          // decimal separator
    .replace(/[0-9]/g, (d) => ARABIC_DIGITS[Number(d)])
    .replace(/%/g, "٪");
}

function localiseSvgText(root) {
  if (!wantsArabicDigits()) return;
  root.querySelectorAll("svg text, svg tspan").forEach((node) => {
    if (node.children.length === 0 && /[0-9%]/.test(node.textContent)) {
      node.textContent = localiseDigits(node.textContent);
    }
  });
}

/* A figure's title goes above the chart as an HTML heading: it wraps on a phone instead of
   being cut off, keeps its direction in Arabic, and Plotly's toolbar (shown on hover only,
   and never on a narrow screen) sits in the chart's own top margin, not over the title. */
function liftTitle(el, layout) {
  const title = layout.title && (typeof layout.title === "string" ? layout.title : layout.title.text);
  if (title) {
    // title and chart share one box, so a grid of charts keeps them together
    const box = document.createElement("div");
    box.className = "chart";
    const heading = document.createElement("h3");
    heading.className = "fig-title";
    heading.id = `${el.id}-title`;
    heading.textContent = title;
    el.parentNode.insertBefore(box, el);
    box.appendChild(heading);
    box.appendChild(el);
    el.setAttribute("aria-labelledby", heading.id);
  }
  layout.title = {text: ""};
  layout.margin = Object.assign({}, layout.margin || {}, {t: 34});
  return layout;
}

/* Plotly's automargin leaves long labels on a right-hand axis (Arabic charts put the y axis on
   the right) partly outside the chart, where they are cut off. Measure the tick labels once
   drawn and widen that side's margin by what sticks out. */
function fitTickLabels(el) {
  const svg = el.querySelector(".main-svg");
  if (!svg) return Promise.resolve();
  const box = svg.getBoundingClientRect();
  let left = 0, right = 0;
  el.querySelectorAll(".xtick text, .ytick text").forEach((label) => {
    const r = label.getBoundingClientRect();
    left = Math.max(left, box.left - r.left);
    right = Math.max(right, r.right - box.right);
  });
  if (left <= 0.5 && right <= 0.5) return Promise.resolve();
  const margin = Object.assign({}, el.layout.margin);
  if (left > 0.5) margin.l = (margin.l || 0) + Math.ceil(left) + 8;
  if (right > 0.5) margin.r = (margin.r || 0) + Math.ceil(right) + 8;
  return Plotly.relayout(el, {margin});
}

function drawFigures() {
  const narrow = window.matchMedia("(max-width: 600px)").matches;
  document.querySelectorAll("[data-figure]").forEach((el) => {
    const source = document.getElementById(el.dataset.figure);
    if (!source) return;
    const fig = JSON.parse(source.textContent);
    const layout = liftTitle(el, fig.layout || {});
    if (wantsArabicDigits()) layout.separators = "٫٬";
    Plotly.newPlot(el, fig.data, layout,
                   {displaylogo: false, responsive: true, displayModeBar: narrow ? false : "hover"})
      .then(() => fitTickLabels(el))
      .then(() => {
        localiseSvgText(el);
        el.on("plotly_afterplot", () => localiseSvgText(el));
        el.on("plotly_hover", () => localiseSvgText(el));
        el.dataset.drawn = "1";
      });
  });
}

function errorLabels() {
  const source = document.getElementById("error-labels");
  return source ? JSON.parse(source.textContent) : {};
}

/* An API error as the page's language says it: the error name's label, then the service's
   own (English) message as detail, isolated left to right. */
function describeError(status, answer) {
  const labels = errorLabels();
  const name = answer.error || (status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" :
    status === 404 ? "NotFound" : status === 413 ? "PayloadTooLarge" :
    status === 422 ? "Unprocessable" : status === 429 ? "TooManyRequests" : "HTTPError");
  const main = labels[name] || labels.HTTPError || name;
  const parts = [];
  const message = answer.message || "";
  if (message) parts.push(message);
  // the service's message usually names the field and line already
  if (answer.field && !message.includes(answer.field)) parts.push(answer.field);
  if (answer.line && !message.includes(`line ${answer.line}`)) parts.push(`line ${answer.line}`);
  if (Array.isArray(answer.detail)) {
    answer.detail.forEach((d) => parts.push(`${(d.loc || []).join(".")}: ${d.msg || ""}`));
  }
  return {main, detail: parts.join(" · ")};
}

function showError(target, status, answer) {
  const {main, detail} = describeError(status, answer || {});
  target.textContent = "";
  const head = document.createElement("span");
  head.className = "error-main";
  head.textContent = main;
  target.appendChild(head);
  if (detail) {
    const extra = document.createElement("bdi");
    extra.className = "error-detail";
    extra.setAttribute("dir", "ltr");
    extra.textContent = detail;
    target.appendChild(document.createTextNode(" "));
    target.appendChild(extra);
  }
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
    apiError(status, answer) {
      box.hidden = false;
      box.dataset.phase = "failed";
      showError(document.getElementById("run-phase"), status, answer);
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
    if (!response.ok) {
      status.apiError(response.status, await response.json().catch(() => ({})));
      return;
    }
    const run = await response.json();
    const progress = run.progress || {};
    const phase = run.status === "running" ? (progress.phase || "running") : run.status;
    status.show(phase, progress.elapsed_s, run.status === "complete" ? 1 : progress.fraction);
    if (run.status === "complete") { onDone(run); return; }
    if (run.status === "failed" || run.status === "cancelled") {
      status.error((progress.error || run.meta.error || run.status)); return;
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

function csrfToken() {
  const found = document.cookie.split("; ").find((part) => part.startsWith("paxsilica_csrf="));
  return found ? decodeURIComponent(found.slice("paxsilica_csrf=".length)) : "";
}

/* Signing in posts the token once; the server answers with an HttpOnly session cookie (the
   token is never stored by this page) and a CSRF cookie that writes echo in a header. */
async function signIn(secret) {
  const response = await fetch("/api/session", {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({token: secret}),
  });
  return {ok: response.ok, status: response.status,
          answer: response.ok ? {} : await response.json().catch(() => ({}))};
}

function setupRunForm() {
  const form = document.getElementById("run-form");
  if (!form) return;
  const token = document.getElementById("token");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = statusBox();
    const secret = token.value.trim();
    token.value = "";
    if (secret) {
      const session = await signIn(secret);
      if (!session.ok) { status.apiError(session.status, session.answer); return; }
    }
    const body = {scenario: form.scenario.value};
    if (form.draws.value) body.draws = Number(form.draws.value);
    if (form.seed.value) body.seed = Number(form.seed.value);
    status.show("queued", null, 0);
    const response = await fetch("/api/runs", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrfToken()},
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      status.apiError(response.status, answer);
      return;
    }
    form.dataset.runId = answer.run_id;
    poll(answer.run_id, status, () => {
      window.location.href = `/runs/${answer.run_id}?${pageQuery()}`;
    });
  });
}

/* Selects marked data-autosubmit submit their form on change (no inline handlers: the CSP
   refuses them). */
function setupAutosubmit() {
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
}

function setupRunPage() {
  const box = document.getElementById("run-status");
  if (!box || !box.dataset.run) return;
  poll(box.dataset.run, statusBox(), () => window.location.reload());
}

/* -- tables: sort on a header click, download as CSV ----------------------------------------
   A cell's data-value holds its raw value (a number with full precision, "" when missing);
   sorting and the CSV use it, else the cell's text. A column sorts as numbers when every
   non-empty value is one. Missing values stay last in either direction. */

function cellValue(cell) {
  return cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
}

function isNumber(text) {
  return text !== "" && !Number.isNaN(Number(text));
}

function sortTable(table, column, th) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const values = rows.map((row) => cellValue(row.cells[column]));
  const present = values.filter((v) => v !== "" && v !== "-");
  const numeric = present.length > 0 && present.every(isNumber);
  const current = th.getAttribute("aria-sort");
  // numbers open largest first, text A to Z; a second click reverses
  const ascending = current === "none" || current === null ? !numeric : current === "descending";
  const collator = new Intl.Collator(document.documentElement.lang, {numeric: true});
  const order = rows.map((row, index) => ({row, index, value: values[index]}));
  order.sort((a, b) => {
    const missingA = a.value === "" || a.value === "-" || (numeric && !isNumber(a.value));
    const missingB = b.value === "" || b.value === "-" || (numeric && !isNumber(b.value));
    if (missingA !== missingB) return missingA ? 1 : -1;
    let diff = 0;
    if (!missingA) {
      diff = numeric ? Number(a.value) - Number(b.value) : collator.compare(a.value, b.value);
    }
    return (ascending ? diff : -diff) || a.index - b.index;
  });
  table.tHead.rows[0].querySelectorAll("th").forEach((head) => head.setAttribute("aria-sort", "none"));
  th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  order.forEach((item) => body.appendChild(item.row));
}

function csvField(text) {
  let value = String(text);
  if (/^[=+@\t\r]/.test(value)) value = "'" + value; // never a formula in a spreadsheet
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function tableCsv(table) {
  const header = Array.from(table.tHead.rows[0].cells)
    .map((th) => th.dataset.col || th.textContent.trim());
  const lines = [header];
  Array.from(table.tBodies[0].rows).forEach((row) => lines.push(Array.from(row.cells).map(cellValue)));
  return lines.map((line) => line.map(csvField).join(",")).join("\r\n") + "\r\n";
}

function downloadCsv(table) {
  // a byte-order mark so spreadsheets read the Arabic names as UTF-8
  const blob = new Blob(["\ufeff" + tableCsv(table)], {type: "text/csv;charset=utf-8"});
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = table.dataset.csv || `${table.id || "table"}.csv`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

/* A header sits where its column's numbers sit (at the end of the line): a column is numeric
   when every body cell holding something is a td.num. */
function alignNumericHeaders(table) {
  if (!table.tHead || !table.tBodies[0]) return;
  Array.from(table.tHead.rows[0].cells).forEach((th, column) => {
    const cells = Array.from(table.tBodies[0].rows).map((row) => row.cells[column])
      .filter((cell) => cell && cell.textContent.trim() !== "" && cell.textContent.trim() !== "-");
    if (cells.length && cells.every((cell) => cell.classList.contains("num"))) {
      th.classList.add("num");
    }
  });
}

function setupTables() {
  document.querySelectorAll("table.data").forEach(alignNumericHeaders);
  document.querySelectorAll("table.sortable").forEach((table) => {
    table.tHead.rows[0].querySelectorAll("th").forEach((th, column) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", () => sortTable(table, column, th));
    });
  });
  document.querySelectorAll("button[data-csv-for]").forEach((button) => {
    const table = document.getElementById(button.dataset.csvFor);
    if (table) button.addEventListener("click", () => downloadCsv(table));
    else button.hidden = true;
  });
}

/* -- scenario builder: the form (built from the scenario schema) becomes YAML ---------------
   Strings are written as JSON strings, which YAML reads as double-quoted scalars, so any
   text (quotes, colons, Arabic, new lines) round-trips. */

function fieldValue(input) {
  const kind = input.dataset.kind;
  if (kind === "list") {
    const values = input.tagName === "SELECT"
      ? Array.from(input.selectedOptions).map((o) => o.value)
      : input.value.split(/[,\s]+/).filter(Boolean);
    return values.length ? values : null;
  }
  const text = input.value.trim();
  if (text === "") return null;
  if (kind === "number" || kind === "integer") return Number(text);
  return text;
}

function yamlScalar(value) {
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

function yamlLines(object, indent) {
  const pad = " ".repeat(indent);
  return Object.entries(object).map(([key, value]) => Array.isArray(value)
    ? `${pad}${key}: [${value.map(yamlScalar).join(", ")}]`
    : `${pad}${key}: ${yamlScalar(value)}`);
}

function builderDocument(form) {
  const scenario = {};
  form.querySelectorAll("[data-key]").forEach((input) => {
    if (input.closest("fieldset.shock")) return;
    const value = fieldValue(input);
    if (value !== null) scenario[input.dataset.key] = value;
  });
  const fieldset = form.querySelector("fieldset.shock:not([disabled])");
  const shock = {type: fieldset.dataset.shock};
  fieldset.querySelectorAll("[data-key]").forEach((input) => {
    const value = fieldValue(input);
    if (value !== null) shock[input.dataset.key] = value;
  });
  const lines = ["# written by the paxsilica scenario builder", ...yamlLines(scenario, 0), "shocks:"];
  const [first, ...rest] = yamlLines(shock, 4);
  lines.push(`  - ${first.trimStart()}`, ...rest);
  return lines.join("\n") + "\n";
}

function setupBuilder() {
  const form = document.getElementById("builder");
  if (!form) return;
  const out = document.getElementById("yaml-out");
  const result = document.getElementById("builder-result");
  const typeSelect = document.getElementById("shock-type");
  const refresh = () => { out.value = builderDocument(form); };
  typeSelect.addEventListener("change", () => {
    form.querySelectorAll("fieldset.shock").forEach((fieldset) => {
      const active = fieldset.dataset.shock === typeSelect.value;
      fieldset.hidden = !active;
      fieldset.disabled = !active;
    });
    refresh();
  });
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  refresh();
  document.getElementById("download-yaml").addEventListener("click", () => {
    const blob = new Blob([out.value], {type: "application/yaml"});
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${form.querySelector("#f-name").value || "scenario"}.yaml`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
  document.getElementById("validate-yaml").addEventListener("click", async () => {
    const token = document.getElementById("token");
    const secret = token.value.trim();
    token.value = "";
    result.hidden = false;
    delete result.dataset.phase;
    if (secret) {  // sign in once: the session cookie carries it, the page never stores it
      const session = await signIn(secret);
      if (!session.ok) {
        result.dataset.phase = "failed";
        showError(result, session.status, session.answer);
        return;
      }
    }
    const headers = {"Content-Type": "application/yaml", "X-CSRF-Token": csrfToken()};
    let response;
    try {
      response = await fetch("/api/scenarios/validate",
                             {method: "POST", headers, body: out.value, credentials: "same-origin"});
    } catch (error) {
      result.dataset.phase = "failed";
      showError(result, 0, {error: "network"});
      return;
    }
    const answer = await response.json().catch(() => ({}));
    if (response.ok && answer.valid) {
      result.dataset.phase = "complete";
      result.textContent = result.dataset.lValid;
    } else {
      result.dataset.phase = "failed";
      showError(result, response.status, answer);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupTables();
  setupAutosubmit();
  drawFigures();
  setupRunForm();
  setupRunPage();
  setupBuilder();
});
