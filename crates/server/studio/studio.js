// The studio (`/studio`): a CodeMirror 6 editor for offer configs with completion and hover
// help from the offer's JSON Schema, every problem of `leadmagnet validate` inline as you
// type, a live preview with the real widget, a score simulator, and publishing with
// history and rollback. Bundled by esbuild (xtask) into www/dist/studio.js; the server's
// side is crates/server/src/studio.rs.
import { EditorView, basicSetup } from "codemirror";
import { json } from "@codemirror/lang-json";
import { linter, lintGutter } from "@codemirror/lint";
import { autocompletion } from "@codemirror/autocomplete";
import { hoverTooltip } from "@codemirror/view";

const $ = (id) => document.getElementById(id);
const csrf = document.querySelector('meta[name="csrf"]').content;
let schema = null;
let file = "";
let version = 0;
let lastGood = null;

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = {};
  try {
    data = await res.json();
  } catch (ignored) {}
  return { status: res.status, data };
}

function say(text) {
  $("status").textContent = text;
}

// ---- Where the cursor is in the JSON: a tolerant scan (the text is often half typed) ----
// Returns {path, inKey, keyFrom, key, afterColon, present}: the keys from the root to the
// innermost object or array around `pos` ("*" for array elements), whether `pos` is where
// a key goes (and where the key being typed starts), the key whose value is at `pos`, and
// the keys the innermost object already has.
function scan(text, pos) {
  const stack = [];
  let i = 0;
  let key = null;
  let keyFrom = -1;
  while (i < pos) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      i++;
      while (i < text.length && text[i] !== '"') {
        i += text[i] === "\\" ? 2 : 1;
      }
      if (i >= pos) {
        const top = stack[stack.length - 1];
        const inKey = !!top && top.type === "obj" && top.expectKey;
        return finish(stack, inKey, start, inKey ? null : top && top.key, !inKey);
      }
      const value = text.slice(start + 1, i);
      const top = stack[stack.length - 1];
      if (top && top.type === "obj" && top.expectKey) {
        top.key = value;
        top.present.push(value);
        top.expectKey = false;
        key = value;
        keyFrom = start;
      }
      i++;
      continue;
    }
    if (c === "{" || c === "[") {
      const parent = stack[stack.length - 1];
      stack.push({ type: c === "{" ? "obj" : "arr", expectKey: c === "{", key: null, present: [], at: parent ? (parent.type === "obj" ? parent.key : "*") : null });
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top && top.type === "obj") {
        top.expectKey = true;
        top.key = null;
      }
    }
    i++;
  }
  const top = stack[stack.length - 1];
  const inKey = !!top && top.type === "obj" && top.expectKey;
  return finish(stack, inKey, -1, top && !inKey ? top.key : null, !!top && top.type === "obj" && !inKey);
  function finish(stack, inKey, from, valueKey, afterColon) {
    void key;
    void keyFrom;
    const present = stack.length ? stack[stack.length - 1].present.slice() : [];
    if (stack.length && stack[stack.length - 1].type === "obj") {
      present.push(...keysAfter(text, from >= 0 ? from : pos));
    }
    return { path: stack.slice(1).map((s) => s.at), inKey, keyFrom: from, key: valueKey, afterColon, present };
  }
}

// The keys of the object around `from` that come after it (the scan stops at the cursor).
function keysAfter(text, from) {
  const keys = [];
  let depth = 0;
  let i = from;
  if (text[i] === '"') {
    // Skip the string being typed.
    i++;
    while (i < text.length && text[i] !== '"' && text[i] !== "\n") {
      i += text[i] === "\\" ? 2 : 1;
    }
    i++;
  }
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i + 1;
      i++;
      while (i < text.length && text[i] !== '"') {
        i += text[i] === "\\" ? 2 : 1;
      }
      // A key: a string at this depth followed by its colon (commas may be missing
      // while typing).
      if (depth === 0 && /^\s*:/.test(text.slice(i + 1, i + 40))) {
        keys.push(text.slice(start, i));
      }
    } else if (c === "{" || c === "[") {
      depth++;
    } else if (c === "}" || c === "]") {
      if (depth === 0) {
        break;
      }
      depth--;
    }
  }
  return keys;
}

function resolve(node) {
  let n = node;
  for (let k = 0; n && n.$ref && k < 20; k++) {
    const name = n.$ref.replace(/^#\/(\$defs|definitions)\//, "");
    n = (schema.$defs || schema.definitions || {})[name];
  }
  return n || {};
}

// The schemas a value at `path` may have (alternatives of anyOf/oneOf/allOf flattened).
function schemasAt(path) {
  let nodes = [resolve(schema)];
  for (const seg of path) {
    const next = [];
    for (const n of expand(nodes)) {
      if (seg === "*" && n.items) {
        next.push(resolve(n.items));
      } else if (n.properties && n.properties[seg]) {
        next.push(resolve(n.properties[seg]));
      } else if (n.additionalProperties && typeof n.additionalProperties === "object") {
        next.push(resolve(n.additionalProperties));
      }
    }
    nodes = next;
  }
  return expand(nodes);
}

function expand(nodes) {
  const out = [];
  for (const n of nodes) {
    const alts = n.anyOf || n.oneOf || n.allOf;
    if (alts) {
      out.push(...expand(alts.map(resolve)));
    } else {
      out.push(n);
    }
  }
  return out;
}

// A property's help: its own description (beside a $ref or anyOf), else its type's.
function describe(n) {
  if (!n) {
    return "";
  }
  if (n.description || n.title) {
    return n.description || n.title;
  }
  const target = resolve(n);
  return target !== n ? describe(target) : "";
}

function complete(context) {
  if (!schema) {
    return null;
  }
  const text = context.state.doc.toString();
  const at = scan(text, context.pos);
  if (at.inKey) {
    // Matched against the name without its quote; applied with both quotes and the colon.
    const from = at.keyFrom >= 0 ? at.keyFrom + 1 : context.matchBefore(/\w*$/).from;
    const apply = (name) => (view, completion, start, end) => {
      const open = view.state.sliceDoc(start - 1, start) === '"' ? start - 1 : start;
      const close = view.state.sliceDoc(end, end + 1) === '"' ? end + 1 : end;
      const insert = `"${name}": `;
      view.dispatch({ changes: { from: open, to: close, insert }, selection: { anchor: open + insert.length } });
    };
    const options = [];
    for (const n of schemasAt(at.path)) {
      for (const [name, prop] of Object.entries(n.properties || {})) {
        if (!at.present.includes(name) && !options.some((o) => o.label === name)) {
          options.push({ label: name, apply: apply(name), type: "property", info: describe(prop) || undefined });
        }
      }
    }
    return options.length ? { from, options, validFor: /^\w*$/ } : null;
  }
  if (at.afterColon && at.key) {
    const values = [];
    for (const n of schemasAt(at.path.concat([at.key]))) {
      for (const v of n.enum || []) {
        values.push({ label: JSON.stringify(v), type: "enum", info: describe(n) || undefined });
      }
      if (n.const !== undefined) {
        values.push({ label: JSON.stringify(n.const), type: "enum" });
      }
    }
    const word = context.matchBefore(/"?[\w-]*$/);
    return values.length ? { from: word ? word.from : context.pos, options: values } : null;
  }
  return null;
}

const hover = hoverTooltip((view, pos) => {
  if (!schema) {
    return null;
  }
  const text = view.state.doc.toString();
  const line = view.state.doc.lineAt(pos);
  const m = /"([^"\\]+)"\s*:/g;
  let found = null;
  let match;
  while ((match = m.exec(line.text))) {
    const from = line.from + match.index;
    if (pos >= from && pos <= from + match[1].length + 2) {
      found = { name: match[1], from, to: from + match[1].length + 2 };
    }
  }
  if (!found) {
    return null;
  }
  const at = scan(text, found.from + 1);
  const help = schemasAt(at.path).map((n) => n.properties && n.properties[found.name]).filter(Boolean).map((p) => describe(p)).find(Boolean);
  if (!help) {
    return null;
  }
  return {
    pos: found.from, end: found.to, above: true,
    create() {
      const dom = document.createElement("div");
      dom.className = "help";
      dom.textContent = `${found.name}: ${help}`;
      return { dom };
    },
  };
});

// ---- Problems: the collector's own checks, inline and listed -----------------------------
const check = linter(async (view) => {
  const text = view.state.doc.toString();
  const { status, data } = await api("POST", "/studio/api/check", { text });
  if (status !== 200) {
    say(data.error ? data.error.message : `the check failed (${status})`);
    return [];
  }
  const problems = data.problems || [];
  const list = $("problems");
  list.textContent = "";
  for (const p of problems) {
    const li = document.createElement("li");
    li.textContent = `Line ${p.line}, column ${p.column}: ${p.pointer || "/"}: ${p.message}`;
    list.append(li);
  }
  $("problem-count").textContent = problems.length ? `${problems.length} problem${problems.length === 1 ? "" : "s"}: publishing is off until they are fixed` : "No problems";
  $("publish").disabled = problems.length > 0;
  if (!problems.length) {
    lastGood = text;
    preview();
  }
  const doc = view.state.doc;
  return problems.map((p) => {
    const line = doc.line(Math.max(1, Math.min(p.line, doc.lines)));
    const from = Math.min(line.from + Math.max(0, p.column - 1), line.to);
    let to = from;
    while (to < line.to && !/[,}\]]/.test(doc.sliceString(to, to + 1))) {
      to++;
    }
    return { from, to: Math.max(to, Math.min(from + 1, doc.length)), severity: "error", message: `${p.pointer || "/"}: ${p.message}` };
  });
}, { delay: 250 });

const editor = new EditorView({
  parent: $("editor"),
  extensions: [
    basicSetup,
    json(),
    lintGutter(),
    check,
    autocompletion({ override: [complete] }),
    hover,
    // tabindex: the scrolling region holds a focusable element (axe: scrollable-region-focusable).
    EditorView.contentAttributes.of({ "aria-label": "Offer config (JSON)", tabindex: "0" }),
  ],
});

// ---- Preview: the real widget in a frame, as each visitor would see the offer -------------
function previewConfig(text) {
  let c;
  try {
    c = JSON.parse(text);
  } catch (ignored) {
    return null;
  }
  // Leads and counts of the preview go nowhere.
  c.endpoint = { url: "/studio/sink/leads" };
  delete c.also_send_to;
  const locale = $("locale").value;
  if (locale) {
    c.locale = locale;
  }
  const variant = $("variant").value;
  const chosen = (c.variants || []).find((v) => v.id === variant);
  if (chosen) {
    for (const [k, v] of Object.entries(chosen)) {
      if (k !== "id" && k !== "weight") {
        c.offer[k] = v;
      }
    }
  }
  delete c.variants;
  c.display = Object.assign({}, c.display, { mode: $("mode").value });
  delete c.display.trigger;
  delete c.display.targeting;
  delete c.display.frequency;
  return c;
}

function syncChoices(c) {
  const variants = $("variant");
  const ids = (c.variants || []).map((v) => v.id);
  const now = Array.from(variants.options).map((o) => o.value).filter(Boolean);
  if (ids.join() !== now.join()) {
    variants.textContent = "";
    variants.append(new Option("(as configured: no variant)", ""));
    for (const id of ids) {
      variants.append(new Option(id, id));
    }
  }
}

function preview() {
  if (!lastGood) {
    return;
  }
  try {
    syncChoices(JSON.parse(lastGood));
  } catch (ignored) {}
  const config = previewConfig(lastGood);
  const frame = $("preview");
  frame.style.width = $("width").value === "phone" ? "375px" : "100%";
  if (config && frame.contentWindow) {
    frame.contentWindow.postMessage({ config, visitor: frameFor === "returning" ? visitor : null }, location.origin);
  }
}

for (const id of ["mode", "locale", "variant", "width"]) {
  $(id).addEventListener("change", preview);
}
$("preview").addEventListener("load", preview);

// ---- Visitor state: a new visitor, or a returning one with a profile ------------------------
// A returning visitor's memory comes from the collector (the core's own storage form, with
// only the values this offer accepts); the frame then runs the full build, which is the one
// that remembers visitors, and shows the form as that visitor sees it.
let visitor = null;
let frameFor = "new";
let frameLoads = 0;

function reloadFrame(kind) {
  frameFor = kind;
  frameLoads += 1;
  const query = kind === "returning" ? `?visitor=returning&n=${frameLoads}` : `?n=${frameLoads}`;
  $("preview").src = `/studio/preview${query}`;
}

async function showVisitor() {
  let profile = {};
  const returning = $("visitor").value === "returning";
  if (returning) {
    try {
      profile = JSON.parse($("profile").value || "{}");
    } catch (e) {
      $("asked").textContent = `The profile is not JSON: ${e.message}`;
      return;
    }
  }
  const { status, data } = await api("POST", "/studio/api/fields", { text: editor.state.doc.toString(), profile });
  if (status !== 200) {
    $("asked").textContent = data.error ? data.error.message : `failed (${status})`;
    return;
  }
  const ignored = data.ignored.length
    ? ` Not known: ${data.ignored.map((i) => `${i.field} (${i.why})`).join(", ")}.`
    : "";
  $("asked").textContent = `Asked now: ${data.fields.join(", ") || "nothing (everything is known)"}.${ignored}`;
  visitor = returning ? { key: data.storage_key, memory: data.memory } : null;
  // The widget reads a visitor's memory once per page: a fresh frame for each visitor.
  reloadFrame(returning ? "returning" : "new");
}
$("visitor-check").addEventListener("click", showVisitor);
$("visitor").addEventListener("change", showVisitor);

// ---- Score simulator -------------------------------------------------------------------------
$("simulate").addEventListener("click", async () => {
  let lead;
  try {
    lead = JSON.parse($("lead").value);
  } catch (e) {
    $("score").textContent = `The test lead is not JSON: ${e.message}`;
    return;
  }
  const { status, data } = await api("POST", "/studio/api/simulate", { text: editor.state.doc.toString(), lead });
  const out = $("score");
  out.textContent = "";
  if (status === 200) {
    const s = data.score;
    const head = document.createElement("p");
    head.textContent = `fit ${s.fit}, engagement ${s.engagement}, total ${s.total}, grade ${s.grade}, level ${s.level}, matrix ${s.matrix}, stage ${s.stage}, queue ${s.queue || "none"}`;
    out.append(head);
    const list = document.createElement("ul");
    for (const c of s.breakdown) {
      const li = document.createElement("li");
      li.textContent = `${c.kind} ${c.rule} ${c.points >= 0 ? "+" : ""}${c.points}${c.events ? ` (${c.events} events)` : ""}`;
      list.append(li);
    }
    for (const line of data.explanation) {
      const li = document.createElement("li");
      li.textContent = line;
      list.append(li);
    }
    out.append(list);
  } else {
    const lines = data.lead_problems || (data.problems || []).map((p) => `Line ${p.line}: ${p.message}`);
    out.textContent = [data.error ? data.error.message : `failed (${status})`].concat(lines).join("\n");
  }
});

// ---- Offers, publishing, history ---------------------------------------------------------
async function load(name) {
  const { status, data } = await api("GET", `/studio/api/offers/${encodeURIComponent(name)}`);
  if (status !== 200) {
    say(data.error ? data.error.message : `could not open ${name}`);
    return;
  }
  file = name;
  version = data.version;
  editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: data.text } });
  $("file").textContent = `${file} (version ${version || "as in the folder"})`;
  say(`Opened ${file}.`);
  history();
}

async function list() {
  const { data } = await api("GET", "/studio/api/offers");
  const select = $("offers");
  select.textContent = "";
  for (const o of data.offers || []) {
    const note = o.unavailable ? ` (${o.unavailable})` : o.problems ? ` (${o.problems} problems)` : "";
    select.append(new Option(`${o.file}${note}`, o.file));
  }
  return data.offers || [];
}

$("open").addEventListener("click", () => load($("offers").value));

$("new").addEventListener("click", async () => {
  const name = $("new-file").value.trim();
  const { data } = await api("GET", "/studio/api/templates");
  const template = (data.templates || []).find((t) => t.name === $("template").value);
  if (!name || !template) {
    say("Give the new file a name such as my-offer.json and choose a template.");
    return;
  }
  // A name in use is opened, not started over; one deleted by hand keeps its history, and
  // the new text goes on top of it.
  const { status, data: there } = await api("GET", `/studio/api/offers/${encodeURIComponent(name)}`);
  if (status === 200) {
    say(`${name} exists already: open it, or give the new offer another name.`);
    return;
  }
  file = name;
  version = there.version || 0;
  editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: template.text } });
  $("file").textContent = `${file} (new, from ${template.name}: give it its own "id")`;
  say(`Started ${file} from ${template.name}.`);
});

$("publish").addEventListener("click", async () => {
  const { status, data } = await api("POST", `/studio/api/offers/${encodeURIComponent(file)}`, { text: editor.state.doc.toString(), base_version: version });
  if (status === 200) {
    version = data.version;
    $("file").textContent = `${file} (version ${version})`;
    say(`Published ${file} as version ${version}.${notLive(data)}`);
    await list();
    history();
  } else {
    say(data.error ? data.error.message : `publishing failed (${status})`);
  }
});

// Written and in the history, but the collector keeps the offers it read before: another
// file in the folder keeps it from reading the folder.
function notLive(done) {
  return done.live === false
    ? ` It is not live yet: the collector could not read its offers folder (${done.problem}). Fix that; the collector then takes it up on its own.`
    : "";
}

async function history() {
  const { data } = await api("GET", `/studio/api/offers/${encodeURIComponent(file)}/history`);
  const box = $("history");
  box.textContent = "";
  for (const v of data.versions || []) {
    const item = document.createElement("li");
    const head = document.createElement("p");
    head.textContent = `Version ${v.version}, ${v.at}, ${v.author}`;
    item.append(head);
    if (v.version !== version) {
      const back = document.createElement("button");
      back.type = "button";
      back.textContent = `Roll back to version ${v.version}`;
      back.addEventListener("click", async () => {
        const { status, data: done } = await api("POST", `/studio/api/offers/${encodeURIComponent(file)}/rollback`, { version: v.version, base_version: version });
        if (status === 200) {
          await load(file);
          say(`Rolled back: version ${v.version}'s text is ${done.live === false ? "" : "live as "}version ${done.version}.${notLive(done)}`);
        } else {
          say(done.error ? done.error.message : `rollback failed (${status})`);
        }
      });
      item.append(back);
    }
    if (v.diff) {
      const diff = document.createElement("pre");
      // Scrollable, so reachable by keyboard.
      diff.tabIndex = 0;
      diff.setAttribute("aria-label", `Changes in version ${v.version}`);
      diff.textContent = v.diff;
      item.append(diff);
    }
    box.append(item);
  }
}

(async () => {
  const res = await fetch("/studio/schema/offer.v1.json", { credentials: "same-origin" });
  schema = res.ok ? await res.json() : null;
  const offers = await list();
  const wanted = new URLSearchParams(location.search).get("file");
  const first = offers.find((o) => o.file === wanted) || offers[0];
  if (first) {
    $("offers").value = first.file;
    await load(first.file);
  }
})();
