  // Leadmagnet loader (src/loader.js). The build (xtask) wraps the wasm-bindgen glue and
  // this loader in one IIFE, so nothing but window.Leadmagnet reaches the page, and
  // returns early when the page already has a Leadmagnet (the script included twice).
  var VERSION = "__LEADMAGNET_VERSION__";
  var WASM_FILE = "__LEADMAGNET_WASM__";
  var PREFIX = "Leadmagnet: ";

  // document.currentScript is only set while this script first runs: read it now.
  // The wasm sits beside this script unless data-base names another folder.
  var script = document.currentScript;
  var override = script && script.getAttribute("data-base");
  var base = override
    ? new URL(override, document.baseURI).href
    : new URL(".", (script && script.src) || document.baseURI).href;
  if (base.charAt(base.length - 1) !== "/") {
    base += "/";
  }
  var wasmUrl = new URL(WASM_FILE, base).href;

  function LoadError(message) {
    this.message = message;
  }

  // Loads and starts the wasm once. Every way this can fail ends in one LoadError whose
  // message names the cause and the fix; the host page is never touched.
  function load() {
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
      return Promise.reject(new LoadError(
        "this browser cannot run WebAssembly (missing or disabled), so the form is not shown. " +
        "Fix: nothing on the page; visitors need a current browser with WebAssembly enabled."));
    }
    return fetch(wasmUrl, { credentials: "omit" }).then(function (response) {
      if (!response.ok) {
        throw new LoadError("could not load " + wasmUrl + ": HTTP " + response.status + ". " +
          "Fix: upload " + WASM_FILE + " beside leadmagnet.js, or point data-base at the folder that holds it.");
      }
      var type = (response.headers.get("content-type") || "").split(";")[0].trim();
      if (type === "application/wasm") {
        return response;
      }
      return response.arrayBuffer().then(function (bytes) {
        var magic = new Uint8Array(bytes.slice(0, 4));
        if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) {
          throw new LoadError(wasmUrl + " is not a WebAssembly file (served as " + (type || "no type") + "). " +
            "Fix: upload " + WASM_FILE + " beside leadmagnet.js, or point data-base at the folder that holds it.");
        }
        console.warn(PREFIX + wasmUrl + " is served as " + (type || "no type") + " instead of application/wasm; " +
          "the widget still starts, but more slowly. Fix: serve .wasm files with Content-Type: application/wasm.");
        return bytes;
      });
    }, function (error) {
      throw new LoadError("could not fetch " + wasmUrl + " (" + error.message + "). " +
        "Fix: if the widget files are on another origin, serve them with Access-Control-Allow-Origin: *; " +
        "if the page has a Content-Security-Policy, allow that origin in connect-src; or set data-base to where the files are.");
    }).then(function (source) {
      return wasm_bindgen({ module_or_path: source }).then(function () {
        return wasm_bindgen;
      }, function (error) {
        var message = String(error && error.message || error);
        if (/Content.Security.Policy|unsafe-eval|CSP/i.test(message)) {
          throw new LoadError("the page's Content-Security-Policy does not allow WebAssembly. " +
            "Fix: add 'wasm-unsafe-eval' to its script-src directive.");
        }
        throw new LoadError("could not start " + wasmUrl + " (" + message + "). " +
          "Fix: make sure leadmagnet.js and " + WASM_FILE + " come from the same build.");
      });
    });
  }

  var ready = load();
  ready.catch(function (error) {
    console.error(PREFIX + (error instanceof LoadError ? error.message : String(error)));
  });

  function fetchConfig(url) {
    return fetch(url, { credentials: "omit" }).then(function (response) {
      if (!response.ok) {
        throw new Error("could not load the offer config " + url + ": HTTP " + response.status);
      }
      return response.text();
    }, function (error) {
      throw new Error("could not fetch the offer config " + url + " (" + error.message + "). " +
        "Fix: serve it with Access-Control-Allow-Origin when it is on another origin.");
    });
  }

  // Leadmagnet.mount(element, configObjectOrUrl) → Promise<element>
  // The offer config is fetched while the wasm is still loading, not after it.
  function mount(element, config) {
    var loaded;
    if (typeof config === "string") {
      var url = new URL(config, document.baseURI).href;
      loaded = fetchConfig(url).then(function (text) { return [text, url]; });
    } else if (config && typeof config === "object") {
      loaded = Promise.resolve([JSON.stringify(config), document.baseURI]);
    } else {
      loaded = Promise.reject(new TypeError(PREFIX + "mount() needs an offer config object or its URL as its second argument"));
    }
    // Settled below either way; this only keeps an early failure from being reported as
    // unhandled while the wasm is still loading.
    loaded.catch(function () {});
    return ready.then(function (wasm) {
      if (!element || element.nodeType !== 1) {
        throw new TypeError(PREFIX + "mount() needs an element as its first argument");
      }
      return loaded.then(function (pair) {
        try {
          wasm.mountOffer(element, pair[0], pair[1]);
        } catch (problem) {
          throw new Error(String(problem && problem.message || problem));
        }
        return element;
      });
    }, function (error) {
      throw new Error(error instanceof LoadError ? error.message : String(error));
    });
  }

  // Hosts written in the page, and those added later (single-page apps), mount once each.
  var seen = new WeakSet();
  function scan() {
    var hosts = document.querySelectorAll("[data-leadmagnet]");
    for (var i = 0; i < hosts.length; i++) {
      var host = hosts[i];
      if (seen.has(host)) {
        continue;
      }
      seen.add(host);
      mount(host, host.getAttribute("data-leadmagnet")).catch(function (error) {
        // A load failure was already logged once; log only this host's own problems.
        ready.then(function () {
          console.error(PREFIX + error.message);
        }, function () {});
      });
    }
  }

  window.Leadmagnet = Object.freeze({ version: VERSION, mount: mount, ready: ready.then(function () {}) });
  window.Leadmagnet.ready.catch(function () {});

  function start() {
    scan();
    if (typeof MutationObserver === "function") {
      new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
    }
    document.dispatchEvent(new CustomEvent("leadmagnet:ready", { detail: { version: VERSION } }));
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
