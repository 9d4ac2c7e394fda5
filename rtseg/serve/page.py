"""The self-contained live page: the MJPEG stream plus a stats panel polled from /api/status.

No external assets (the page must work offline); the ``token`` query parameter of the page's
own URL is passed on to the stream and the status requests.
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rtseg live</title>
<style>
  body { margin: 0; background: #111; color: #eee; font: 15px/1.4 system-ui, sans-serif; }
  header { padding: 8px 16px; background: #1d1d1d; display: flex; gap: 12px; align-items: center; }
  h1 { font-size: 17px; margin: 0; }
  #state { font-size: 13px; padding: 2px 8px; border-radius: 9px; background: #555; }
  #state.live { background: #1f7a3a; }
  #state.down { background: #9b2c2c; }
  main { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 16px; padding: 16px; }
  @media (max-width: 800px) { main { grid-template-columns: 1fr; } }
  #stream { width: 100%; max-width: 1280px; min-height: 180px; background: #000; }
  table { border-collapse: collapse; width: 100%; table-layout: fixed; }
  th, td { text-align: left; padding: 3px 10px 3px 0; }
  th { width: 50%; font-weight: normal; color: #bbb; }
  td { font-variant-numeric: tabular-nums; font-weight: 600; white-space: nowrap; }
  h2 { font-size: 14px; margin: 14px 0 4px; color: #aaa; text-transform: uppercase; }
</style>
</head>
<body>
<header><h1>rtseg live view</h1><span id="state">connecting</span></header>
<main>
  <img id="stream" alt="annotated live stream">
  <aside>
    <table>
      <tr><th>FPS</th><td id="fps">-</td></tr>
      <tr><th>Latency p50/p95/max</th><td id="latency">-</td></tr>
      <tr><th>Frames</th><td id="frames">-</td></tr>
      <tr><th>Dropped frames</th><td id="dropped">-</td></tr>
      <tr><th>Source outages</th><td id="outages">-</td></tr>
      <tr><th>Active tracks</th><td id="active-tracks">-</td></tr>
      <tr><th>Tracks seen</th><td id="total-tracks">-</td></tr>
      <tr><th>Viewers</th><td id="viewers">-</td></tr>
    </table>
    <h2>Objects in frame</h2>
    <table><tbody id="objects"></tbody></table>
  </aside>
</main>
<script>
"use strict";
const token = new URLSearchParams(location.search).get("token");
const url = (path, extra = {}) => {
  const params = new URLSearchParams(extra);
  if (token) params.set("token", token);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
};
const stream = document.getElementById("stream");
let attempt = 0;
stream.onerror = () => setTimeout(() => { stream.src = url("stream.mjpg", {n: ++attempt}); }, 2000);
stream.src = url("stream.mjpg");

const show = (id, text) => { document.getElementById(id).textContent = text; };
const ms = (value) => value.toFixed(0);
function render(s) {
  show("fps", s.fps.toFixed(1));
  show("latency", `${ms(s.latency_ms.p50)} / ${ms(s.latency_ms.p95)} / ${ms(s.latency_ms.max)} ms`);
  show("frames", s.frames);
  show("dropped", s.dropped_frames ?? "-");
  show("outages", s.source_outages ?? "-");
  show("active-tracks", s.tracking ? s.active_tracks : "-");
  show("total-tracks", s.tracking ? s.total_tracks : "-");
  show("viewers", s.viewers);
  const rows = Object.entries(s.objects).map(([name, count]) => {
    const row = document.createElement("tr");
    for (const text of [name, count]) {
      const cell = document.createElement(row.children.length ? "td" : "th");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  document.getElementById("objects").replaceChildren(...rows);
}
function setState(text, cls) {
  const state = document.getElementById("state");
  state.textContent = text;
  state.className = cls;
}
async function poll() {
  try {
    const response = await fetch(url("api/status"), {cache: "no-store"});
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const status = await response.json();
    render(status);
    if (status.source_connected === 0) setState("source lost: reconnecting", "down");
    else if (status.frame_age_s === null) setState("waiting for frames", "");
    else if (status.frame_age_s > 3) setState(`stalled ${ms(status.frame_age_s)} s`, "down");
    else setState("live", "live");
  } catch (error) {
    setState(`disconnected (${error.message})`, "down");
  } finally {
    setTimeout(poll, 500);
  }
}
poll();
</script>
</body>
</html>
"""
