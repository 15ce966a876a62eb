// Live updates pushed by the server (server-sent events on /api/v1/stream).

const dot = () => document.getElementById("live");

/** Calls ``onHealth(data)`` on each pushed snapshot; returns a function that stops listening. */
export function liveStream(onHealth) {
  if (!window.EventSource) return () => {};
  const es = new EventSource("/api/v1/stream");
  let count = 0;
  es.addEventListener("health", (ev) => {
    count++;
    document.body.dataset.liveEvents = String(Number(document.body.dataset.liveEvents || 0) + 1);
    dot()?.classList.add("on");
    if (dot()) dot().title = `Live updates: last at ${new Date().toLocaleTimeString()}`;
    try {
      onHealth(JSON.parse(ev.data), count);
    } catch (err) {
      console.error("live update", err);
    }
  });
  es.onerror = () => {
    dot()?.classList.remove("on");
    if (dot()) dot().title = "Live updates: reconnecting…";
  };
  return () => { es.close(); dot()?.classList.remove("on"); };
}
