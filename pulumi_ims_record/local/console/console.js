// The local IMS console: reads /_console/api/state and shows it. Every value from the server goes into the
// page as text (textContent, attributes set one by one), never as markup, so a job named "<script>" is shown,
// not run. The page changes nothing on the server.
"use strict";

const REFRESH_MS = 3000;

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  }
  return node;
}

function seconds(value) {
  if (typeof value !== "number") return "";
  const minutes = Math.floor(value / 60);
  return minutes ? `${minutes} min ${Math.round(value % 60)} s` : `${value.toFixed(1)} s`;
}

function bytes(value) {
  if (typeof value !== "number") return "gone";
  const units = ["B", "KiB", "MiB", "GiB"];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${size.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

function play(file, job) {
  const video = document.getElementById("player");
  const section = document.getElementById("player-section");
  const note = document.getElementById("player-note");
  section.hidden = false;
  document.getElementById("player-title").textContent = `${job.name}: ${file.objectKey}`;
  note.textContent = "";
  if (window.currentHls) {
    window.currentHls.destroy();
    window.currentHls = null;
  }
  video.removeAttribute("src");
  // HLS through the vendored hls.js wherever Media Source Extensions exist (the tested path; Chromium's own
  // HLS player refuses a live playlist), the browser's own HLS support elsewhere (Safari on iOS).
  if (file.format === "m3u8" && !(window.Hls && window.Hls.isSupported())) {
    if (!video.canPlayType("application/vnd.apple.mpegurl")) {
      note.textContent = "This browser cannot play HLS (no Media Source Extensions, no native HLS).";
      return;
    }
    video.src = file.url;
  } else if (file.format === "m3u8") {
    const hls = new window.Hls();
    window.currentHls = hls;
    hls.on(window.Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) note.textContent = `Playback error: ${data.type} ${data.details}`;
    });
    hls.loadSource(file.url);
    hls.attachMedia(video);
  } else {
    video.src = file.url;
  }
  video.play().catch((error) => { note.textContent = `Press play (${error.name}).`; });
  section.scrollIntoView({ behavior: "smooth" });
}

function fileRow(file, job) {
  const playable = file.format === "m3u8" || file.format === "mp4";
  const action = playable && typeof file.size === "number"
    ? el("button", { class: "play", type: "button", "data-record-id": file.recordId }, "Play")
    : el("span", { class: "muted" }, file.format === "flv" ? "download" : "");
  if (action.tagName === "BUTTON") action.addEventListener("click", () => play(file, job));
  return el("tr", { "data-record-id": file.recordId },
    el("td", {}, file.format),
    el("td", {}, el("a", { href: file.url }, el("code", {}, file.objectKey))),
    el("td", {}, seconds(file.duration)),
    el("td", {}, bytes(file.size)),
    el("td", {}, file.width && file.height ? `${file.width}×${file.height}` : ""),
    el("td", {}, `${file.startTime} – ${file.endTime}`),
    el("td", {}, action));
}

function jobCard(job) {
  const status = job.gaveUp ? `${job.status} (gave up)` : job.status;
  const card = el("article", { class: "job", id: `job-${job.id}`, "data-job-id": job.id },
    el("div", { class: "job-head" },
      el("span", { class: "job-name" }, job.name),
      el("span", { class: `status status-${job.status}` }, status),
      el("code", { class: "muted" }, job.id)),
    el("dl", {},
      el("dt", {}, "Stream"), el("dd", {}, el("code", {}, job.stream)),
      el("dt", {}, "Output"), el("dd", {}, `bucket ${job.bucket}` + (job.endpoint ? ` (${job.endpoint})` : "")),
      el("dt", {}, "Template"), el("dd", {}, `${job.templateName} (${job.templateId})`),
      el("dt", {}, "Created"), el("dd", {}, job.createTime)),
    el("ul", { class: "timeline" },
      ...job.events.map((event) => el("li", {}, `${event.time} ${event.status}${event.gaveUp ? " (gave up)" : ""}`))));
  if (job.waiting) {
    // The recorder's own view: why there is no data, since when, when it tries again and gives up.
    const retry = job.waiting.nextRetry ? `next try at ${job.waiting.nextRetry}` : "trying now";
    card.append(el("p", { class: "waiting" },
      `Not recording: ${job.waiting.reason}. Since ${job.waiting.since}; ${retry}; gives up at ${job.waiting.givesUpAt}.`));
  }
  if (job.live) {
    const live = el("button", { class: "play live", type: "button" }, `Watch live (${seconds(job.live.seconds)} so far)`);
    live.addEventListener("click", () => play({ url: job.live.url, format: "m3u8", objectKey: "live: the open cycle" }, job));
    card.append(el("p", {}, live));
  }
  if (job.files.length) {
    card.append(el("table", { class: "files" },
      el("thead", {}, el("tr", {}, ...["Format", "Object", "Duration", "Size", "Video", "Recorded", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...job.files.map((file) => fileRow(file, job)))));
    const older = job.filesTotal - job.files.length;
    if (older > 0) {
      card.append(el("p", { class: "muted" },
        `The ${job.files.length} newest of ${job.filesTotal} recordings; the ${older} older ones are in the bucket ` +
        "and in ListLiveRecordFiles."));
    }
  } else {
    card.append(el("p", { class: "muted" }, "No recordings yet: files appear when a cycle closes."));
  }
  return card;
}

function templateRow(template) {
  const formats = template.formats.map((entry) => {
    const parts = [entry.format];
    if (entry.sliceDuration) parts.push(`slice ${entry.sliceDuration} s`);
    if (entry.cycleDuration) parts.push(`cycle ${entry.cycleDuration} s`);
    return parts.join(", ");
  });
  return el("tr", { "data-template-id": template.id },
    el("td", {}, template.name), el("td", {}, el("code", {}, template.id)), el("td", {}, template.type),
    el("td", {}, formats.join("; ")), el("td", {}, template.lastModified));
}

async function showHealth() {
  // The same /_health a readiness check reads: recorders running, disk used against the limit.
  const response = await fetch("/_health", { cache: "no-store" });
  if (!response.ok) return;
  const health = await response.json();
  const limit = health.limits && health.limits.maxDataSize;
  const waiting = (health.waitingForStream || []).length;
  document.getElementById("health").textContent =
    `${health.recordersRunning} recorder${health.recordersRunning === 1 ? "" : "s"} running` +
    (waiting ? ` (${waiting} waiting for a stream)` : "") +
    ` · data ${bytes(health.diskUsedBytes)}` +
    (limit ? ` of ${bytes(limit)}` : "") + ` · v${health.version}`;
}

async function refresh() {
  try {
    await showHealth();
    const response = await fetch("/_console/api/state", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const state = await response.json();
    document.getElementById("jobs").replaceChildren(...state.jobs.map(jobCard));
    document.getElementById("jobs-empty").hidden = state.jobs.length > 0;
    document.querySelector("#templates tbody").replaceChildren(...state.templates.map(templateRow));
    // UTC, 24-hour, like every other time on the page (the API's own).
    document.getElementById("updated").textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC`;
    if (!document.body.dataset.loaded && location.hash.startsWith("#job-")) {
      // A link to one job (./run demo prints one): show it once the page has it.
      document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
    }
    document.body.dataset.loaded = "true";
  } catch (error) {
    document.getElementById("updated").textContent = `cannot reach the local IMS (${error.message})`;
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
