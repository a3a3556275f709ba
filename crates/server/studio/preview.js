// The studio's preview frame (`/studio/preview`): mounts the config the studio posts with
// the real widget (leadmagnet.js, which fetches the full build for overlays), each time
// into a fresh host so nothing of the last version stays.
window.addEventListener("message", (event) => {
  if (event.origin !== location.origin || !event.data || !event.data.config) {
    return;
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
