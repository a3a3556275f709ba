// The loader's load failures (src/loader.js, `load`), each one line that names the cause
// and ends in the fix, tested as code in tests/js/failures.test.mjs.

// Every console line of the widget starts so.
export const PREFIX = "Leadmagnet: ";

const UPLOAD = " beside leadmagnet.js, or point data-base at the folder that holds it.";

export function noWebAssembly() {
  return "this browser cannot run WebAssembly (missing or disabled), so the form is not shown. " +
    "Fix: nothing on the page; visitors need a current browser with WebAssembly enabled.";
}

export function httpFailure(url, status, file) {
  return "could not load " + url + ": HTTP " + status + ". Fix: upload " + file + UPLOAD;
}

export function notWasm(url, type, file) {
  return url + " is not a WebAssembly file (served as " + (type || "no type") + "). Fix: upload " + file + UPLOAD;
}

// A warning, not a failure: the widget starts all the same.
export function wrongMime(url, type) {
  return url + " is served as " + (type || "no type") + " instead of application/wasm; " +
    "the widget still starts, but more slowly. Fix: serve .wasm files with Content-Type: application/wasm.";
}

export function unreachable(url, message) {
  return "could not fetch " + url + " (" + message + "). " +
    "Fix: if the widget files are on another origin, serve them with Access-Control-Allow-Origin: *; " +
    "if the page has a Content-Security-Policy, allow that origin in connect-src; or set data-base to where the files are.";
}

// Why the wasm did not start: the page's CSP, or files from two builds.
export function startFailure(url, message, file) {
  if (/Content.Security.Policy|unsafe-eval|CSP/i.test(message)) {
    return "the page's Content-Security-Policy does not allow WebAssembly. " +
      "Fix: add 'wasm-unsafe-eval' to its script-src directive.";
  }
  return "could not start " + url + " (" + message + "). " +
    "Fix: make sure leadmagnet.js and " + file + " come from the same build.";
}
