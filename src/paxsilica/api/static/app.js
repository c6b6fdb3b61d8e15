/* paxsilica dashboard: draws the embedded Plotly figures, switches digits, runs scenarios,
   sorts tables and saves them as CSV. */
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
  return response.ok;
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
    if (secret && !(await signIn(secret))) { status.error("401: the token is not valid"); return; }
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
      status.error(`${response.status}: ${answer.message || answer.detail || ""}`);
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

function setupTables() {
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

document.addEventListener("DOMContentLoaded", () => {
  setupTables();
  setupAutosubmit();
  drawFigures();
  setupRunForm();
  setupRunPage();
});
