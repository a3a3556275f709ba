import wasm_bindgen from "leadmagnet-glue";
import { deliver, dropEvents, flushOutbox, forgetOutbox, onRefused, sendEvents } from "./outbox.js";
import * as failures from "./js/failures.mjs";
import { PREFIX } from "./js/failures.mjs";
import { MAX_EVENTS, arrive, history, readRecord, touchOf, wellFormed } from "./js/record.mjs";
// The keys of the visitor memory and the behaviour record, the core's (generated).
import { ACTIVITY_KEY, BATCH_VERSION, COUNTS_VERSION, MAX_BATCH_EVENTS, STORAGE_KEY } from "./js/contract.mjs";

  // Leadmagnet loader (src/loader.js). An ES module: the build (xtask) bundles it with the
  // wasm-bindgen glue, the outbox and the rules in js/ into one IIFE with esbuild, so
  // nothing but window.Leadmagnet reaches the page, and the IIFE returns early when the page
  // already has a Leadmagnet (the script included twice).
  var VERSION = "__LEADMAGNET_VERSION__";
  var WASM_FILE = "__LEADMAGNET_WASM__";
  var CHECK_FILE = "__LEADMAGNET_CHECK__";
  var CHECK_SCRIPT = "__LEADMAGNET_CHECK_JS__";
  // The full build's glue and wasm, fetched by leadmagnet.js only for an offer that needs
  // them (overlays, calculators, targeting, variants, frequency caps).
  var FULL_SCRIPT = "__LEADMAGNET_FULL_JS__";
  var FULL_FILE = "__LEADMAGNET_FULL_WASM__";
  // What the default build's mountOffer throws for such an offer (NEEDS_FULL in mount.rs).
  var NEEDS_FULL = "needs the full build";

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

  function LoadError(message) {
    this.message = message;
  }

  // Loads and starts a wasm (`file`, beside this script) with its glue's `init`. Every way
  // this can fail ends in one LoadError whose message names the cause and the fix; the
  // host page is never touched.
  function load(file, init) {
    var wasmUrl = new URL(file, base).href;
    var WASM_FILE = file;
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
      return Promise.reject(new LoadError(failures.noWebAssembly()));
    }
    // Credentials as a `<link rel="preload" crossorigin>` has them (same-origin only): the
    // snippet's preloads of the wasm and the config are then used, not fetched twice.
    return fetch(wasmUrl, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new LoadError(failures.httpFailure(wasmUrl, response.status, WASM_FILE));
      }
      var type = (response.headers.get("content-type") || "").split(";")[0].trim();
      if (type === "application/wasm") {
        return response;
      }
      return response.arrayBuffer().then(function (bytes) {
        var magic = new Uint8Array(bytes.slice(0, 4));
        if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) {
          throw new LoadError(failures.notWasm(wasmUrl, type, WASM_FILE));
        }
        console.warn(PREFIX + failures.wrongMime(wasmUrl, type));
        return bytes;
      });
    }, function (error) {
      throw new LoadError(failures.unreachable(wasmUrl, error.message));
    }).then(function (source) {
      return init({ module_or_path: source }).then(function () {
        return init;
      }, function (error) {
        throw new LoadError(failures.startFailure(wasmUrl, String(error && error.message || error), WASM_FILE));
      });
    });
  }

  var ready = load(WASM_FILE, wasm_bindgen);
  ready.catch(function (error) {
    console.error(PREFIX + (error instanceof LoadError ? error.message : String(error)));
    // Without the wasm, server-rendered forms post themselves, as without script.
    holds.forEach(function (h) { release(h, false); });
  });

  // A script beside this one that hands its glue's init function over as `global` and is
  // gone: the config checker's, and the full build's.
  function part(name, global) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = new URL(name, base).href;
      // Pages with a nonce-based CSP: the part carries the loader's nonce.
      if (script && script.nonce) {
        tag.nonce = script.nonce;
      }
      tag.onload = function () {
        var init = window[global];
        try {
          delete window[global];
        } catch (ignored) {}
        return init ? resolve(init) : reject(new Error(tag.src + " did not start"));
      };
      tag.onerror = function () {
        reject(new Error("could not load " + tag.src));
      };
      document.head.appendChild(tag);
    });
  }

  // The config checker (a second, small wasm with the core's checks and their texts) is
  // fetched only for configs the collector did not check, and at most once per page.
  var checker = null;
  function check(text) {
    if (!checker) {
      checker = part(CHECK_SCRIPT, "__leadmagnetChecker").then(function (init) {
        return init({ module_or_path: new URL(CHECK_FILE, base).href }).then(function () {
          return init;
        });
      });
    }
    return checker.then(function (c) { return c.checkOffer(text); });
  }

  // The full build, for offers the default build leaves out: fetched once, on demand, and
  // told what the page has said about storage so far.
  var full = null;
  var fullLoaded = null;
  var storageGranted = null;
  // (Not in leadmagnet-full.js, which is that build already.)
  var loadFull = LEADMAGNET_FULL ? null : function () {
    if (!full) {
      full = part(FULL_SCRIPT, "__leadmagnetFull").then(function (init) {
        return load(FULL_FILE, init);
      }, function (error) {
        throw new LoadError(error.message + ". Fix: upload every file of www/dist, " + FULL_SCRIPT + " included.");
      }).then(function (wasm) {
        if (storageGranted !== null) {
          wasm.allowStorage(storageGranted);
        }
        fullLoaded = wasm;
        return wasm;
      });
    }
    return full;
  };

  // [text, url, checked]: `checked` when `leadmagnet serve` answered with its
  // Leadmagnet-Checked header (it ran the full checks on this very text).
  function fetchConfig(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error("could not load the offer config " + url + ": HTTP " + response.status);
      }
      var checked = response.headers.get("leadmagnet-checked") === "1";
      return response.text().then(function (text) { return [text, url, checked]; });
    }, function (error) {
      throw new Error("could not fetch the offer config " + url + " (" + error.message + "). " +
        "Fix: serve it with Access-Control-Allow-Origin when it is on another origin.");
    });
  }

  function invalid(url, problems) {
    return new Error("offer config " + url + " is invalid:\n" + problems);
  }

  // ---- Server-rendered forms ------------------------------------------------------
  // A config on the collector that serves this script has its form pre-rendered there
  // (/fragments/…): fetched beside the wasm, it paints before the wasm has arrived, and
  // the wasm then takes it over. Where markup may not be parsed (Trusted Types) the
  // wasm renders it, as without the fragment.
  function paint(host, url) {
    var state = { done: false };
    var at = new URL(url);
    if (host.shadowRoot || at.origin !== new URL(base).origin || at.pathname.indexOf("/offers/") !== 0) {
      return state;
    }
    fetch(at.origin + "/fragments/" + at.pathname.slice(8) + "?locale=" +
      encodeURIComponent(navigator.language || "en") + "&config=" + encodeURIComponent(url),
    { credentials: "omit" }).then(function (response) {
      // 204: an offer the browser decides on (targeting, variants, overlays).
      return response.status === 200 && response.text().then(function (html) {
        if (!state.done && !host.shadowRoot) {
          host.attachShadow({ mode: "open" }).innerHTML = html;
          host.setAttribute("data-lm-render", response.headers.get("leadmagnet-render") || "");
          hold(host);
        }
      });
    }).catch(function () {});
    return state;
  }

  // A server-rendered form sent before the wasm has it is held, then sent by the widget
  // once it has taken over (or by the browser, if the wasm cannot run).
  var holds = [];
  function hold(host) {
    var h = { host: host };
    host.shadowRoot.addEventListener("submit", function (event) {
      if (!h.done) {
        event.preventDefault();
        h.form = event.target;
      }
    }, true);
    holds.push(h);
    return h;
  }
  function release(h, byWidget) {
    var form = h && !h.done && h.form;
    if (h) {
      h.done = true;
    }
    if (form) {
      byWidget ? form.requestSubmit() : form.submit();
    }
  }
  function heldFor(host) {
    return holds.filter(function (h) { return h.host === host; })[0];
  }

  // What the visitor typed, ticked or chose in a server-rendered form: [id, value, checked].
  function typed(host) {
    var root = host.shadowRoot;
    var kept = root ? Array.prototype.map.call(root.querySelectorAll("input[id^=lm-f-],select"), function (c) {
      return [c.id, c.value, c.checked, c.type];
    }) : [];
    // Where the visitor is typing: after a redraw they go on there, not nowhere.
    var at = root && root.activeElement;
    if (at && at.id) {
      kept.focus = [at.id, at.selectionStart, at.selectionEnd];
    }
    return kept;
  }

  // ... typed in again, each as a change the widget hears.
  function retype(host, kept) {
    kept.forEach(function (t) {
      var c = host.shadowRoot.getElementById(t[0]);
      var tick = t[3] === "checkbox" || t[3] === "radio";
      if (c && (tick ? t[2] : t[1])) {
        if (tick) {
          c.checked = true;
        } else if (c.value !== t[1]) {
          c.value = t[1];
        }
        c.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    var focus = kept.focus && host.shadowRoot.getElementById(kept.focus[0]);
    if (focus && host.shadowRoot.activeElement !== focus) {
      focus.focus();
      try {
        focus.setSelectionRange(kept.focus[1], kept.focus[2]);
      } catch (ignored) {} // not a text field
    }
  }

  // Leadmagnet.mount(element, configObjectOrUrl) → Promise<element>
  // The offer config is fetched (and, unless the collector checked it, checked) while the
  // wasm is still loading, not after it.
  function mount(element, config) {
    var loaded;
    var painted = { done: true };
    if (element && element.shadowRoot && !heldFor(element)) {
      hold(element);
    }
    if (typeof config === "string") {
      painted = paint(element, new URL(config, document.baseURI).href);
      loaded = fetchConfig(new URL(config, document.baseURI).href);
    } else if (config && typeof config === "object") {
      loaded = Promise.resolve([JSON.stringify(config), document.baseURI, false]);
    } else {
      loaded = Promise.reject(new TypeError(PREFIX + "mount() needs an offer config object or its URL as its second argument"));
    }
    // "" (valid), the problems, or the Error that kept the checker from running.
    var verdict = loaded.then(function (c) {
      return c[2] ? "" : check(c[0]).catch(function (error) { return error; });
    });
    // Settled below either way; this only keeps an early failure from being reported as
    // unhandled while the wasm is still loading.
    verdict.catch(function () {});
    return ready.then(function (wasm) {
      if (!element || element.nodeType !== 1) {
        throw new TypeError(PREFIX + "mount() needs an element as its first argument");
      }
      return Promise.all([loaded, verdict]).then(function (r) {
        var text = r[0][0], url = r[0][1];
        if (r[1] instanceof Error) {
          // Without the checker the widget still reads the config (types and required keys;
          // unknown keys are ignored) and shows it rather than costing leads over a missing file.
          console.warn(PREFIX + "could not load the config checker " + CHECK_FILE + " (" + r[1].message + "); " +
            "showing " + url + " unchecked. Fix: upload it beside leadmagnet.js, or serve configs with `leadmagnet serve`.");
        } else if (r[1]) {
          throw invalid(url, r[1]);
        }
        var plan;
        var config = {};
        try {
          config = JSON.parse(text);
        } catch (ignored) {}
        // A fragment arriving after this is dropped; what the visitor typed into a
        // server-rendered form is typed in again once the wasm has it.
        painted.done = true;
        var kept;
        // The loader's side of this offer (`Loader` in src/browser.rs); returns the display
        // plan, JSON (display::Plan in the core).
        function start(wasm) {
          return JSON.parse(wasm.mountOffer(element, text, url, {
            deliver: function (lead, requests, leadId, keepHistory) {
              var delivered = deliverFrom(element, config, url, lead, requests, leadId, keepHistory);
              if (!LEADMAGNET_FULL && !wasm.rememberLead) {
                delivered.then(function () { rememberLead(text, lead); }, function () {});
              }
              return delivered;
            },
            facts: function () { return facts(element); },
          }));
        }
        // Once a page has the full build, its later offers mount with it too: every
        // offer on the page then shares the visitor memory that build keeps. A visitor
        // with a memory (stored after their consent, or with the page's permission) is
        // met by that build from the first offer on, or they would be asked again what
        // they told us; should it not load, the offer still shows, as to a new visitor.
        if (!LEADMAGNET_FULL && fullLoaded) {
          wasm = fullLoaded;
        } else if (!LEADMAGNET_FULL && remembered()) {
          return loadFull().then(function (fullWasm) {
            return fullWasm;
          }, function (error) {
            console.warn(PREFIX + "the full build, which remembers visitors, could not load (" + error.message +
              "); showing " + url + " as to a new visitor.");
            return wasm;
          }).then(mountWith);
        }
        return mountWith(wasm);

        function mountWith(wasm) {
        // What the visitor typed into a server-rendered form so far (also while the full
        // build loaded), typed in again once the widget has taken over.
        kept = typed(element);
        try {
          plan = start(wasm);
        } catch (problem) {
          var message = String(problem && problem.message || problem);
          if (!LEADMAGNET_FULL && message === NEEDS_FULL) {
            return loadFull().then(function (fullWasm) {
              return shown(fullWasm, start(fullWasm));
            }, function (error) {
              throw new Error("offer config " + url + " needs the full build, which could not load: " +
                (error instanceof LoadError ? error.message : String(error)));
            });
          }
          if (message !== "invalid offer config") {
            throw new Error(message);
          }
          // The widget reads without problem texts: the checker names them.
          return check(text).then(function (problems) {
            throw invalid(url, problems || "  " + message);
          });
        }
        return shown(wasm, plan);
        }

        // The offer is mounted: announce it, and open it on its trigger.
        function shown(wasm, plan) {
        if (plan && plan.hidden) {
          emit(element, "hidden", { offer_id: plan.offer, reason: plan.hidden });
        } else if (plan) {
          // Once the widget has rendered (yew renders in a task of its own).
          setTimeout(function () {
            retype(element, kept);
            release(heldFor(element), true);
          });
          prove(element, wasm, config, url);
          tally(element, plan, config, url);
          if (!wasm.rememberLead) {
            prefetchOnConsent(element, config);
          }
          openers[plan.offer] = function () {
            element.scrollIntoView({ block: "nearest" });
            return true;
          };
          if (plan.mode === "inline") {
            emit(element, "view", { offer_id: plan.offer });
          }
          show(element, plan, wasm);
        }
        return element;
        }
      });
    }, function (error) {
      throw new Error(error instanceof LoadError ? error.message : String(error));
    }).catch(function (error) {
      // Not taken over (the config did not load or read): its form posts itself.
      release(heldFor(element), false);
      throw error;
    });
  }

  // ---- Display: modal and slide-in offers open on their trigger -------------------
  var openDialogs = [];

  // Overlays come with the full build, which leadmagnet.js fetches on demand: both
  // loaders open them.
  function show(host, plan, wasm, tries) {
    if (plan.mode === "inline") {
      return;
    }
    var dialog = host.shadowRoot && host.shadowRoot.querySelector("dialog");
    if (!dialog) {
      // The widget renders on its scheduler, just after mounting: look again shortly.
      if ((tries || 0) < 100 && host.isConnected) {
        setTimeout(function () { show(host, plan, wasm, (tries || 0) + 1); }, 10);
      }
      return;
    }
    var modal = plan.mode === "modal";
    var state = { dialog: dialog, opener: null, overflow: null, open: false };
    var trigger = plan.trigger || {};
    var disarm = [];
    function listen(target, type, fn, options) {
      target.addEventListener(type, fn, options);
      disarm.push(function () { target.removeEventListener(type, fn, options); });
    }
    function open() {
      if (state.open || !dialog.isConnected) {
        return;
      }
      if (!trigger.click) {
        disarm.forEach(function (f) { f(); });
        disarm = [];
      }
      state.open = true;
      state.opener = document.activeElement;
      if (modal) {
        // Scroll lock through the CSSOM (allowed under a strict style-src).
        state.overflow = document.documentElement.style.overflow;
        document.documentElement.style.overflow = "hidden";
        dialog.showModal();
      } else {
        dialog.show();
      }
      openDialogs.push(state);
      emit(host, "view", { offer_id: plan.offer });
    }
    openers[plan.offer] = function () {
      open();
      return true;
    };
    function release() {
      if (!state.open) {
        return;
      }
      state.open = false;
      if (modal) {
        document.documentElement.style.overflow = state.overflow || "";
      }
      openDialogs = openDialogs.filter(function (s) { return s !== state; });
      if (state.opener && state.opener.isConnected && typeof state.opener.focus === "function") {
        state.opener.focus();
      }
    }
    state.release = release;
    dialog.addEventListener("close", function () {
      release();
      wasm.dismissOffer(plan.offer);
    });
    host.shadowRoot.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest(".lm-close")) {
        dialog.close();
      }
    });
    // A modal closes on Esc natively; the non-modal slide-in does so here.
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !modal) {
        dialog.close();
      }
    });

    if (trigger.delay_seconds !== undefined) {
      var timer = setTimeout(open, trigger.delay_seconds * 1000);
      disarm.push(function () { clearTimeout(timer); });
    } else if (trigger.scroll_percent !== undefined) {
      var onScroll = function () {
        var room = document.documentElement.scrollHeight - window.innerHeight;
        if (room <= 0 || window.scrollY / room * 100 >= trigger.scroll_percent) {
          open();
        }
      };
      listen(window, "scroll", onScroll, { passive: true });
      onScroll();
    } else if (trigger.exit_intent) {
      // Desktop: the pointer leaves the page through its top edge. Touch devices have no
      // pointer to leave: a fast upward scroll after reading a while stands in for it.
      listen(document, "mouseout", function (event) {
        if (!event.relatedTarget && event.clientY <= 0) {
          open();
        }
      });
      var lastY = window.scrollY, lastT = Date.now();
      listen(window, "scroll", function () {
        var y = window.scrollY, t = Date.now();
        if (lastY > 400 && (lastY - y) / Math.max(t - lastT, 1) > 1.5) {
          open();
        }
        lastY = y;
        lastT = t;
      }, { passive: true });
    } else if (trigger.inactivity_seconds !== undefined) {
      var idle;
      var restart = function () {
        clearTimeout(idle);
        idle = setTimeout(open, trigger.inactivity_seconds * 1000);
      };
      ["pointermove", "keydown", "scroll", "touchstart"].forEach(function (type) {
        listen(window, type, restart, { passive: true });
      });
      disarm.push(function () { clearTimeout(idle); });
      restart();
    } else if (trigger.click) {
      listen(document, "click", function (event) {
        var hit = null;
        try {
          hit = event.target.closest && event.target.closest(trigger.click);
        } catch (error) {
          console.error(PREFIX + "display.trigger.click \"" + trigger.click + "\" is not a CSS selector (" + error.message + ")");
        }
        if (hit) {
          event.preventDefault();
          open();
        }
      });
    } else {
      open();
    }
  };

  // ---- The visitor's memory on the default build --------------------------------------
  // The default build remembers no one: the full build keeps the memory
  // (crates/core/src/profile.rs). Whether there is one decides which build meets the visitor.
  function remembered() {
    try {
      return !!(localStorage.getItem(STORAGE_KEY) || sessionStorage.getItem(STORAGE_KEY));
    } catch (ignored) {
      return false;
    }
  }
  // After a lead sent by an offer of the default build with a ticked consent, the full
  // build remembers it as its own form would have (`rememberLead`): the visitor's next page
  // view knows them. Without consent it would store nothing, so nothing is fetched for it.
  var forgets = 0;
  function rememberLead(configText, leadJson) {
    // Leadmagnet.forget() after this lead (while the full build loads) wins.
    var asked = forgets;
    var lead = JSON.parse(leadJson);
    var config = JSON.parse(configText);
    var fields = lead.fields || {};
    var consented = (config.fields || []).some(function (f) {
      return f.type === "consent" && fields[f.id] === true;
    });
    if (!consented || !loadFull) {
      return;
    }
    loadFull().then(function (fullWasm) {
      if (asked === forgets) {
        fullWasm.rememberLead(configText, fields);
      }
    }, function (error) {
      console.warn(PREFIX + "the full build, which remembers visitors, could not load (" + error.message +
        "): this visitor will be asked again next time.");
    });
  }

  // A consent ticked in an offer of the default build: the lead that follows is to be
  // remembered, so the full build starts loading now — ready when the lead is sent, also
  // when the offer then leaves the page (redirect_url) or the visitor closes it.
  function prefetchOnConsent(host, config) {
    var consents = (config.fields || []).filter(function (f) { return f.type === "consent"; })
      .map(function (f) { return "lm-f-" + f.id; });
    if (!loadFull || !consents.length || !host.shadowRoot) {
      return;
    }
    host.shadowRoot.addEventListener("change", function (event) {
      if (event.target && event.target.checked && consents.indexOf(event.target.id) >= 0) {
        loadFull().catch(function () {});
      }
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

  // ---- Integration surface: events, dataLayer, the JS API ------------------------
  // Events are CustomEvents on the host element, bubbling out of the page's DOM
  // (composed), named "leadmagnet:<name>"; `detail` always holds offer_id.
  function emit(host, name, detail) {
    if (name === "view") {
      note("offer_view", detail.offer_id);
    }
    count(tallies.get(host), name === "error" ? "refused" : name);
    host.dispatchEvent(new CustomEvent("leadmagnet:" + name, { bubbles: true, composed: true, detail: detail }));
  }

  // ---- Counts: what happened to each offer shown on this page view -----------------------
  // For the offer report (crates/core/src/analytics.rs): which of view, start, step:N,
  // invalid:<field>, abandoned:<field>, submit and refused happened to each offer shown,
  // each at most once, sent to its collector when the page is hidden. Counts only: no
  // cookie, no identifier, no URL, no time, nothing stored on the device, and nothing for
  // an offer not shown.
  var tallies = new WeakMap();
  var shownOffers = [];
  var COUNTED = { view: 1, start: 1, submit: 1, refused: 1 };
  function tally(host, plan, config, url) {
    var to = collector(config, url, "counts");
    var root = host.shadowRoot;
    if (!to || !root) {
      return;
    }
    var t = { to: to, offer_id: plan.offer, variant: plan.variant, seen: {}, fresh: [], last: "", abandoned: "" };
    tallies.set(host, t);
    shownOffers.push(t);
    // The offer's own fields only (a control's name, else its id "lm-f-<field>").
    var ids = (config.fields || []).map(function (f) { return f.id; });
    function field(el) {
      var id = el && (el.name || (/^lm-f-/.test(el.id) ? el.id.slice(5) : ""));
      return ids.indexOf(id) >= 0 ? id : "";
    }
    // When a submit was last pressed: errors shown within a second of it refused it.
    var pressed = 0;
    function look() {
      var bar = root.querySelector(".lm-bar");
      if (bar && bar.value > 1) {
        count(t, "step:" + bar.value);
      }
      root.querySelectorAll("[aria-invalid=true]").forEach(function (el) {
        count(t, "invalid:" + field(el));
        if (Date.now() - pressed < 1000) {
          count(t, "refused");
        }
      });
    }
    ["input", "change"].forEach(function (type) {
      root.addEventListener(type, function () { count(t, "start"); });
    });
    root.addEventListener("focusin", function (e) {
      t.last = field(e.target) || t.last;
    });
    root.addEventListener("submit", function () {
      pressed = Date.now();
    }, true);
    new MutationObserver(look).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-invalid", "value"] });
  }
  function count(t, event) {
    if (t && (COUNTED[event] || /^(step|invalid):./.test(event)) && !t.seen[event] && (t.seen.view || event === "view")) {
      t.seen[event] = 1;
      t.fresh.push(event);
    }
  }
  // Sent whenever the page is hidden: a mobile browser may close a hidden page without
  // pagehide. Abandonment is where the visitor is now (started, not sent, the field last
  // touched); a visitor who comes back and sends, or leaves again at another field, takes
  // the earlier one back (resumed:<field>; the report nets them).
  function sendCounts() {
    var batches = {};
    shownOffers.forEach(function (t) {
      var now = t.seen.start && !t.seen.submit && t.last ? t.last : "";
      if (now !== t.abandoned) {
        if (t.abandoned) {
          t.fresh.push("resumed:" + t.abandoned);
        }
        if (now) {
          t.fresh.push("abandoned:" + now);
        }
        t.abandoned = now;
      }
      if (t.fresh.length) {
        // One entry per offer (the collector refuses more): an offer shown twice on the
        // page was still seen once by this page view, in one variant.
        var batch = batches[t.to] = batches[t.to] || [];
        var offer = batch.filter(function (o) { return o.offer_id === t.offer_id; })[0];
        if (!offer) {
          offer = { offer_id: t.offer_id, events: [] };
          if (t.variant) {
            offer.variant = t.variant;
          }
          batch.push(offer);
        }
        t.fresh.forEach(function (event) {
          if (offer.events.indexOf(event) < 0) {
            offer.events.push(event);
          }
        });
        t.fresh = [];
      }
    });
    Object.keys(batches).forEach(function (to) {
      fetch(to, {
        method: "POST", keepalive: true, credentials: "omit",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ version: COUNTS_VERSION, offers: batches[to] }),
      }).catch(function () {});
    });
  }

  // ---- Touches: where this page view came from -------------------------------------------
  // The page view as it arrived (this script runs once per page view): the last touch.
  var arrival = { url: location.href, referrer: document.referrer, at: new Date().toISOString() };
  // Where this page view came from (js/record.mjs).
  var pageTouch = touchOf(arrival.url, arrival.referrer, arrival.at);

  // ---- Behaviour: the events a lead carries, and the history kept with consent --------
  // This page view is one page_view event whose seconds (visible in the foreground) and
  // scroll depth grow while the visitor stays, plus an offer_view per offer shown and an
  // offer_completed per lead. Earlier visits are known only from the record kept in
  // localStorage (ACTIVITY_KEY), which exists only after a lead with marketing consent and
  // never under Global Privacy Control (GPC on erases it). It also holds the first and the
  // latest campaign touch, and is bounded: the newest MAX_EVENTS events of the last
  // MAX_AGE_MS. Each page view writes only its own events (tagged `page`) into it, so
  // tabs open side by side do not overwrite each other. Event URLs carry no query or
  // fragment (they could name the visitor).
  var PAGE = arrival.at + Math.random();
  var gpc = navigator.globalPrivacyControl === true;
  var pagePath = location.origin + location.pathname;
  var pageView = { type: "page_view", at: arrival.at, url: pagePath, seconds: 0, scroll_percent: 0, page: PAGE };
  var pageEvents = [pageView];
  var visibleMs = 0, visibleSince = document.visibilityState === "visible" ? Date.now() : 0;
  // Whether this page view keeps its events (a record existed, or a lead gave consent).
  var keeping = false;

  function storage(fn) {
    try {
      return fn(localStorage);
    } catch (ignored) {}
  }
  function erase() {
    keeping = false;
    storage(function (s) { s.removeItem(ACTIVITY_KEY); });
    dropEvents();
  }
  function kept() {
    return storage(function (s) { return readRecord(s.getItem(ACTIVITY_KEY)); });
  }
  // Seconds visible and the deepest scroll so far, written into this page's page_view.
  function measure() {
    pageView.seconds = Math.round((visibleMs + (visibleSince && Date.now() - visibleSince)) / 1000);
    var room = document.documentElement.scrollHeight;
    var seen = room > 0 ? Math.min(100, Math.round((scrollY + innerHeight) / room * 100)) : 100;
    pageView.scroll_percent = Math.max(pageView.scroll_percent, seen);
  }
  function save(record) {
    record = record || keeping && kept();
    if (record) {
      measure();
      record.events = history(record, pageEvents, PAGE, Date.now());
      record.last_seen = Date.now();
      storage(function (s) { s.setItem(ACTIVITY_KEY, JSON.stringify(record)); });
    } else {
      // Erased meanwhile (another tab's lead without consent, or Leadmagnet.forget).
      keeping = false;
    }
  }
  function note(type, offerId, at) {
    pageEvents.push({ type: type, at: at || new Date().toISOString(), url: pagePath, offer_id: offerId, page: PAGE });
    // Bounded within one page view too (a single-page app may show offers without end):
    // the oldest offer event goes, this page view stays.
    if (pageEvents.length > MAX_EVENTS) {
      pageEvents.splice(pageEvents.indexOf(pageView) + 1, 1);
    }
    save();
    soon();
  }

  // ---- Engagement after the form: this page view's events to the collector -------------
  // A lead with marketing consent (and no GPC) to the collector gives the record a random
  // device id, the lead's id and the collector's `events` address (beside its leads). From
  // then on each page view sends its events there (crates/core/src/engagement.rs): a second
  // after each one, and as a keepalive request when the page is hidden or closes, through
  // the outbox. Nothing else names the visitor. The collector answers 410 when the device
  // may send no more (consent withdrawn elsewhere, erased): the record forgets the device.
  // Erasing the record (a lead without consent, GPC, Leadmagnet.forget) ends the sending.
  var batchTimer = 0;
  function soon() {
    clearTimeout(batchTimer);
    batchTimer = setTimeout(send, 1000);
  }
  function send(closing) {
    clearTimeout(batchTimer);
    var record = keeping && !gpc && kept();
    if (record && typeof record.device === "string" && typeof record.events_url === "string") {
      measure();
      sendEvents({
        url: record.events_url, mode: "cors", headers: { "content-type": "application/json" },
        body: JSON.stringify({
          version: BATCH_VERSION, device: record.device, lead_id: record.lead_id,
          events: pageEvents.slice(-MAX_BATCH_EVENTS),
        }, function (key, value) { return key === "page" ? undefined : value; }),
      }, "events:" + PAGE, closing === true);
    }
  }
  onRefused(function (status) {
    var record = status === 410 && kept();
    if (record) {
      delete record.device;
      storage(function (s) { s.setItem(ACTIVITY_KEY, JSON.stringify(record)); });
    }
  });

  if (gpc) {
    erase();
  } else {
    var record = kept();
    if (record) {
      keeping = true;
      // A visit starts after 30 minutes without activity, and a link with campaign
      // keys or click ids is a new touch even within one.
      if (arrive(record, pageTouch, Date.now())) {
        pageEvents.unshift({ type: "return_visit", at: arrival.at, url: pagePath, page: PAGE });
      }
      save(record);
      soon();
    }
  }
  addEventListener("scroll", measure, { passive: true });
  addEventListener("pagehide", function () {
    save();
    send(true);
    sendCounts();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      visibleSince = visibleSince || Date.now();
    } else {
      measure();
      visibleMs += visibleSince && Date.now() - visibleSince;
      visibleSince = 0;
      save();
      send(true);
      sendCounts();
    }
  });

  // After a lead: keep the record or erase it (consent not given this time: the visitor
  // withdrew it), as the core decided (`keep`: Consent::allows_history). GPC is checked here
  // too: should the facts not have reached the core (a page broke a browser API), its
  // decision was made without the signal, and GPC must still win.
  function remember(lead, keep, leadId, eventsUrl) {
    if (!keep || gpc) {
      erase();
    } else {
      var touch = pageTouch;
      var record = kept() || { first_touch: touch, last_touch: touch, events: [] };
      if (eventsUrl && window.crypto && crypto.randomUUID) {
        if (!record.device) {
          record.device = crypto.randomUUID();
          record.events_url = eventsUrl;
        }
        // The latest lead with consent: the collector ties a new device only through the
        // person's latest lead.
        record.lead_id = leadId;
      }
      keeping = true;
      save(record);
    }
    note("offer_completed", lead.offer_id, lead.submitted_at);
  }

  // ---- Browser facts: what only the page knows at a submit ------------------------------
  // The core completes the lead with them (crates/core/src/facts.rs: consent record,
  // attribution, context) and makes each endpoint's request (formats.rs); the loader
  // reads them and sends what the core built, unchanged.
  function facts(host) {
    // Every value is of its type or null, each read on its own: the core reads the facts
    // all or nothing, and a page that broke one browser API must not cost the lead the rest.
    var read = function (fn) {
      try {
        return fn();
      } catch (ignored) {
        return null;
      }
    };
    var root = host.shadowRoot;
    var labels = read(function () {
      var found = {};
      // The wording exactly as shown: each label's own text, without the required mark.
      root.querySelectorAll("label[for^=lm-f-]").forEach(function (label) {
        found[label.htmlFor.slice(5)] = label.firstChild ? String(label.firstChild.textContent) : "";
      });
      return found;
    });
    measure();
    // Read as kept; whether a lead may carry it is the core's rule (facts.rs).
    var record = keeping && kept() || null;
    var proof = proofs.get(host);
    var text = function (value) { return typeof value === "string" ? value : null; };
    return JSON.stringify({
      gpc: gpc,
      time_zone: read(function () { return text(Intl.DateTimeFormat().resolvedOptions().timeZone); }),
      viewport_width: typeof innerWidth === "number" && isFinite(innerWidth) ? innerWidth : null,
      labels: labels,
      touch: pageTouch,
      kept_first_touch: record && record.first_touch || null,
      kept_last_touch: record && record.last_touch || null,
      // A sandboxed frame throws on document.cookie.
      hutk: read(function () { return (/(?:^|;\s*)hubspotutk=([^;]+)/.exec(document.cookie) || [])[1] || null; }),
      proof: proof && proof.solution || null,
      honeypot: read(function () { return text(root.querySelector("[name=lm_hp]").value); }),
      // This page view's events, and the history merged with them (kept events were
      // checked when the record was read; this page's are its own).
      events: pageEvents,
      history: record && read(function () { return history(record, pageEvents, PAGE, Date.now()); }) || [],
    }, function (key, value) {
      // Strings well-formed: a lone surrogate would make the whole JSON unreadable.
      return typeof value === "string" ? wellFormed(value) : value;
    });
  }

  // ---- Proof of work: the collector's spam check that costs a visitor nothing -------------
  // For the collector's own format, each mounted offer fetches a challenge from the
  // endpoint's folder (`…/api/v1/challenge`) and solves it in the wasm in slices of 2,000
  // tries (a few milliseconds each, so the page never waits), while the visitor reads and
  // types. The solution goes with the next lead; each lead gets a fresh challenge. Without
  // one (a collector without the check, or not solved yet) the lead goes all the same:
  // the collector quarantines rather than loses it.
  var proofs = new WeakMap();
  // `name` beside the offer's leads endpoint when that is a Leadmagnet collector; else "".
  function collector(config, configUrl, name) {
    var endpoint = config.endpoint || {};
    return endpoint.format && endpoint.format !== "leadmagnet" ? ""
      : new URL(name, new URL(endpoint.url || "", configUrl)).href;
  }

  function prove(host, wasm, config, configUrl) {
    var state = { solution: null };
    proofs.set(host, state);
    var url = collector(config, configUrl, "challenge");
    if (!url) {
      return;
    }
    fetch(url, { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (c) {
        var from = 0;
        (function slice() {
          if (!c || proofs.get(host) !== state) {
            return;
          }
          var to = Math.min(from + 1999, c.maxnumber);
          var number = wasm.solveChallenge(c.salt, c.challenge, from, to);
          if (number >= 0) {
            state.solution = { algorithm: c.algorithm, challenge: c.challenge, number: number, salt: c.salt, signature: c.signature };
          } else if (to < c.maxnumber) {
            from = to + 1;
            setTimeout(slice, 0);
          }
        })();
      })
      .catch(function () {});
  }

  // The widget's way out, per host: one outbox entry per request the core made, events
  // around the first endpoint's outcome (the visitor's thank-you depends on it alone) and
  // the dataLayer hand-over once the lead is sent or safely queued.
  function deliverFrom(host, config, configUrl, leadJson, requestsJson, leadId, keepHistory) {
    var lead = JSON.parse(leadJson);
    // [{timeout_ms, request: {url, headers, body, mode}}]: the offer's endpoint first,
    // then each of also_send_to.
    var requests = JSON.parse(requestsJson);
    ready.then(function (wasm) { prove(host, wasm, config, configUrl); });
    remember(lead, keepHistory, leadId, collector(config, configUrl, "events"));
    var analytics = config.analytics;
    var stage = lead.score && lead.score.stage || "inquiry";
    var detail = { offer_id: lead.offer_id, lead_id: leadId, lead_stage: stage };
    emit(host, "submit", detail);
    requests.slice(1).forEach(function (r, i) {
      deliver(r.request, leadId + "#" + (i + 1), r.timeout_ms).catch(function (error) {
        console.error(PREFIX + "also_send_to[" + i + "]: " + error.message);
      });
    });
    return deliver(requests[0].request, leadId, requests[0].timeout_ms).then(function (status) {
      emit(host, status === "sent" ? "success" : "queued", detail);
      if (analytics && analytics.data_layer) {
        var event = { event: "generate_lead", offer_id: lead.offer_id, lead_stage: stage };
        if (analytics.value !== undefined) {
          event.currency = analytics.currency;
          event.value = analytics.value;
        }
        (window.dataLayer = window.dataLayer || []).push(event);
      }
      return status;
    }, function (error) {
      detail.error = error.message;
      emit(host, "error", detail);
      throw error;
    });
  }

  // Offer id → how to bring it to the visitor (open an overlay, scroll to an inline one).
  var openers = {};

  // Leadmagnet.on(name, handler): handler(detail, hostElement) for every offer on the page;
  // returns a function that stops listening.
  function on(name, handler) {
    var listener = function (event) {
      handler(event.detail, event.target);
    };
    document.addEventListener("leadmagnet:" + name, listener);
    return function () { document.removeEventListener("leadmagnet:" + name, listener); };
  }

  // Leadmagnet.open(offerId): opens a modal or slide-in offer now (whatever its trigger),
  // or scrolls to an inline one. False, with a console line, for an offer not on the page.
  function openOffer(offerId) {
    if (openers[offerId]) {
      return openers[offerId]();
    }
    console.warn(PREFIX + "open(\"" + offerId + "\"): no offer with that id is mounted on this page" +
      " (or targeting and frequency caps keep it from this visitor).");
    return false;
  }

  // Leadmagnet.forget(): the visitor's right to be forgotten on this device. Erases the
  // remembered profile and consent (both storages) and the outbox's kept failures; leads
  // that still wait to be sent stay until they are sent, then go too.
  function forget() {
    forgets += 1;
    var builds = [ready].concat(full ? [full] : []).map(function (build) {
      return build.then(function (wasm) {
        if (wasm.forgetVisitor) {
          wasm.forgetVisitor();
        }
      }, function () {});
    });
    return Promise.all(builds).then(function () {
      // Blocked storage throws already when named: each on its own, the outbox regardless.
      ["localStorage", "sessionStorage"].forEach(function (name) {
        try {
          window[name].removeItem(STORAGE_KEY);
        } catch (ignored) {}
      });
      erase();
      return forgetOutbox();
    });
  }

  // ---- Storage permission -------------------------------------------------------------
  // Before a visitor consents through a lead, the widget stores nothing on their device,
  // unless the page grants it: Leadmagnet.allowStorage(true) from the page's own consent
  // banner, or the usual signals of consent managers, read at start — IAB TCF v2 purpose
  // 1 ("store and/or access information on a device") and Google consent mode's
  // functionality_storage. Then the full build keeps what names no one (variant seed,
  // dismissals, visit count) for the session. allowStorage(false) withdraws and erases.
  function allowStorage(granted) {
    var allowed = granted === true;
    storageGranted = allowed;
    if (full) {
      full.then(function (wasm) { wasm.allowStorage(allowed); }, function () {});
    }
    return ready.then(function (wasm) {
      if (wasm.allowStorage) {
        wasm.allowStorage(allowed);
      }
    }, function () {});
  }

  function readConsentSignals() {
    if (typeof window.__tcfapi === "function") {
      try {
        window.__tcfapi("addEventListener", 2, function (data, ok) {
          if (ok && data && (data.eventStatus === "tcloaded" || data.eventStatus === "useractioncomplete")) {
            allowStorage(!!(data.purpose && data.purpose.consents && data.purpose.consents[1]));
          }
        });
      } catch (ignored) {}
    }
    // gtag("consent", "default" | "update", {...}) entries; the last one that names
    // functionality_storage decides.
    var decided = null;
    (Array.isArray(window.dataLayer) ? window.dataLayer : []).forEach(function (entry) {
      var settings = entry && entry[0] === "consent" && entry[2];
      if (settings && settings.functionality_storage) {
        decided = settings.functionality_storage === "granted";
      }
    });
    if (decided !== null) {
      allowStorage(decided);
    }
  }

  window.Leadmagnet = Object.freeze({
    version: VERSION, mount: mount, ready: ready.then(function () {}),
    on: on, open: openOffer, forget: forget, allowStorage: allowStorage,
  });
  window.Leadmagnet.ready.catch(function () {});

  function start() {
    readConsentSignals();
    // Leads queued on an earlier page view go out now (see src/outbox.js).
    flushOutbox();
    scan();
    if (typeof MutationObserver === "function") {
      new MutationObserver(function () {
        scan();
        // A host removed while its modal was open: give the page its scrolling back.
        openDialogs.filter(function (s) { return !s.dialog.isConnected; }).forEach(function (s) { s.release(); });
      }).observe(document.documentElement, { childList: true, subtree: true });
    }
    document.dispatchEvent(new CustomEvent("leadmagnet:ready", { detail: { version: VERSION } }));
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
