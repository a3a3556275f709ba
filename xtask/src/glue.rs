//! Trims the widget's wasm-bindgen glue to what the loader uses.
//!
//! Why: wasm-bindgen's `no-modules` glue can start a module in every way (a URL, a
//! `Request`, synchronously with `initSync`, with parameters of older versions) and falls
//! back for servers with the wrong MIME type. The loader (`src/loader.js`) always hands
//! over a `Response` it has checked to be `application/wasm`, or the module's bytes, so the
//! rest is dead code in a bundle held to 100 KB. Each cut names the exact text it replaces
//! and fails the build when wasm-bindgen (pinned in Cargo.toml) writes something else.

/// The glue with the unused start-up paths removed.
pub fn trim(glue: &str) -> Result<String, String> {
    let mut glue = replace_function(
        glue,
        "async function __wbg_load(module, imports) {",
        "async function __wbg_load(module, imports) {
        if (typeof Response === 'function' && module instanceof Response) {
            if (typeof WebAssembly.instantiateStreaming === 'function') {
                return await WebAssembly.instantiateStreaming(module, imports);
            }
            module = await module.arrayBuffer();
        }
        return await WebAssembly.instantiate(module, imports);
    }",
    )?;
    glue = replace_function(&glue, "function initSync(module) {", "")?;
    glue = replace_function(
        &glue,
        "async function __wbg_init_once(module_or_path) {",
        "async function __wbg_init_once(module_or_path) {
        ({module_or_path} = module_or_path);
        const { instance, module } = await __wbg_load(await module_or_path, __wbg_get_imports());
        return __wbg_finalize_init(instance, module);
    }",
    )?;
    glue = replace_once(
        &glue,
        "    let script_src;
    if (typeof document !== 'undefined' && document.currentScript !== null) {
        script_src = new URL(document.currentScript.src, location.href).toString();
    }
",
        "",
    )?;
    replace_once(
        &glue,
        "Object.assign(__wbg_init, { initSync }, exports)",
        "Object.assign(__wbg_init, exports)",
    )
}

fn replace_once(text: &str, old: &str, new: &str) -> Result<String, String> {
    match text.matches(old).count() {
        1 => Ok(text.replacen(old, new, 1)),
        n => Err(format!(
            "the wasm-bindgen glue holds {n} copies of `{}`, expected 1",
            old.lines().next().unwrap_or_default()
        )),
    }
}

/// Replaces the function starting with `header` up to its matching closing brace.
fn replace_function(text: &str, header: &str, new: &str) -> Result<String, String> {
    if text.matches(header).count() != 1 {
        return Err(format!("the wasm-bindgen glue has no single `{header}`"));
    }
    let start = text.find(header).unwrap_or_default();
    let mut depth = 0usize;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let end = start + i + 1;
                    return Ok(format!("{}{new}{}", &text[..start], &text[end..]));
                }
            }
            _ => {}
        }
    }
    Err(format!("`{header}` in the wasm-bindgen glue never closes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_a_whole_function_with_nested_braces() {
        let text = "a();\n    function f(x) {\n        if (x) { return `${x}`; }\n    }\n    b();";
        let out = replace_function(text, "function f(x) {", "function f(){}").expect("replaced");
        assert_eq!(out, "a();\n    function f(){}\n    b();");
    }

    #[test]
    fn refuses_glue_it_does_not_recognise() {
        let err = trim("let wasm_bindgen = (function(exports) {});").expect_err("must fail");
        assert!(err.contains("__wbg_load"), "{err}");
        assert!(replace_once("x x", "x", "y").is_err());
    }
}
