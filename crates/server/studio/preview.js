// The studio's preview frame (`/studio/preview`): mounts the config the studio posts with
// the real widget (leadmagnet.js, which fetches the full build for overlays; or, for a
// returning visitor, leadmagnet-full.js), each time into a fresh host so nothing of the
// last version stays.
//
// This script runs before the widget's: it gives the frame a storage of its own, in
// memory (and no IndexedDB), so that a previewed visitor's memory (and whatever the widget keeps) never
// lands in the collector origin's real storage, where the pages it serves would find it.
function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(String(key)) ? items.get(String(key)) : null),
    setItem: (key, value) => void items.set(String(key), String(value)),
    removeItem: (key) => void items.delete(String(key)),
    clear: () => items.clear(),
    key: (i) => Array.from(items.keys())[i] ?? null,
    get length() {
      return items.size;
    },
  };
}
for (const name of ["localStorage", "sessionStorage"]) {
  Object.defineProperty(window, name, { value: memoryStorage(), configurable: true });
}
// Nor an outbox database: the preview's leads go to a sink now or not at all (the widget
// then sends without one, as in a private window).
Object.defineProperty(window, "indexedDB", { value: undefined, configurable: true });

window.addEventListener("message", (event) => {
  if (event.origin !== location.origin || !event.data || !event.data.config) {
    return;
  }
  // A returning visitor's memory, as the full build stored it on an earlier visit. The
  // widget reads it once per page, so the studio reloads this frame for another visitor.
  const { visitor } = event.data;
  if (visitor && visitor.key && typeof visitor.memory === "string") {
    window.localStorage.setItem(visitor.key, visitor.memory);
  }
  const slot = document.getElementById("slot");
  const host = document.createElement("div");
  slot.replaceChildren(host);
  const mount = () => window.Leadmagnet.mount(host, event.data.config).catch((error) => {
    const p = document.createElement("p");
    p.className = "failed";
    p.textContent = error.message;
    slot.append(p);
  });
  if (window.Leadmagnet) {
    mount();
  } else {
    document.addEventListener("leadmagnet:ready", mount, { once: true });
  }
});
