//! Trims the widget's wasm-bindgen glue to what the loader uses.
//!
//! Why: wasm-bindgen's `no-modules` glue can start a module in every way (a URL, a
//! `Request`, synchronously with `initSync`, with parameters of older versions) and falls
//! back for servers with the wrong MIME type. The loader (`src/loader.js`) always hands
//! over a `Response` it has checked to be `application/wasm`, or the module's bytes, so the
//! rest is dead code in a bundle held to 100 KB. Each cut names the text it replaces and
//! fails the build when wasm-bindgen (pinned in Cargo.toml) writes something else; and
//! everything the cuts remove is compared with `xtask/glue-cuts.golden.js`, so a new
//! wasm-bindgen that puts something new into a removed function fails with a diff of what
//! changed instead of losing it silently (`check_cuts`).

/// What the cuts remove must be exactly this (the text of wasm-bindgen 0.2 as pinned).
pub const GOLDEN: &str = "xtask/glue-cuts.golden.js";

/// The glue with the unused start-up paths removed, and the removed text.
pub fn trim(glue: &str) -> Result<(String, String), String> {
    let mut cut = Cuts::default();
    let mut glue = cut.function(
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
    glue = cut.function(&glue, "function initSync(module) {", "")?;
    glue = cut.function(
        &glue,
        "async function __wbg_init_once(module_or_path) {",
        "async function __wbg_init_once(module_or_path) {
        ({module_or_path} = module_or_path);
        const { instance, module } = await __wbg_load(await module_or_path, __wbg_get_imports());
        return __wbg_finalize_init(instance, module);
    }",
    )?;
    glue = cut.once(
        &glue,
        "    let script_src;
    if (typeof document !== 'undefined' && document.currentScript !== null) {
        script_src = new URL(document.currentScript.src, location.href).toString();
    }
",
        "",
    )?;
    glue = cut.once(
        &glue,
        "Object.assign(__wbg_init, { initSync }, exports)",
        "Object.assign(__wbg_init, exports)",
    )?;
    Ok((glue, cut.0))
}

/// Fails, with a diff, unless `removed` (from [`trim`]) is the golden text. The text found
/// is written to `target/widget/glue-cuts.found.js`; if the change is understood (the
/// removed start-up paths are still unused), copying it over the golden file accepts it.
pub fn check_cuts(removed: &str) -> Result<(), String> {
    check_cuts_into(removed, "target/widget/glue-cuts.found.js")
}

/// [`check_cuts`], writing the text found to `found`.
fn check_cuts_into(removed: &str, found: &str) -> Result<(), String> {
    let golden = std::fs::read_to_string(GOLDEN).map_err(|e| format!("{GOLDEN}: {e}"))?;
    if golden == removed {
        return Ok(());
    }
    if let Some(dir) = std::path::Path::new(found).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(found, removed).map_err(|e| format!("{found}: {e}"))?;
    let diff = std::process::Command::new("git")
        .args([
            "diff",
            "--no-index",
            "--no-color",
            "--no-ext-diff",
            GOLDEN,
            found,
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    Err(format!(
        "the glue trimming removes other text than {GOLDEN}:\n{diff}\nIf the removed \
         paths are still unused by src/loader.js: cp {found} {GOLDEN}"
    ))
}

/// The text removed so far, each cut's in turn.
#[derive(Default)]
struct Cuts(String);

impl Cuts {
    fn function(&mut self, text: &str, header: &str, new: &str) -> Result<String, String> {
        let (out, removed) = replace_function(text, header, new)?;
        self.note(&removed);
        Ok(out)
    }

    fn once(&mut self, text: &str, old: &str, new: &str) -> Result<String, String> {
        let out = replace_once(text, old, new)?;
        self.note(old);
        Ok(out)
    }

    fn note(&mut self, removed: &str) {
        self.0.push_str(removed);
        if !removed.ends_with('\n') {
            self.0.push('\n');
        }
        self.0.push_str("// ----\n");
    }
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

/// Replaces the function starting with `header` up to its matching closing brace; also
/// returns the replaced function.
fn replace_function(text: &str, header: &str, new: &str) -> Result<(String, String), String> {
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
                    return Ok((
                        format!("{}{new}{}", &text[..start], &text[end..]),
                        text[start..end].to_owned(),
                    ));
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
        let (out, removed) =
            replace_function(text, "function f(x) {", "function f(){}").expect("replaced");
        assert_eq!(out, "a();\n    function f(){}\n    b();");
        assert_eq!(
            removed,
            "function f(x) {\n        if (x) { return `${x}`; }\n    }"
        );
    }

    #[test]
    fn other_removed_text_fails_with_a_diff_against_the_golden_file() {
        std::env::set_current_dir(crate::root()).expect("root");
        let golden = std::fs::read_to_string(GOLDEN).expect("golden file");
        // Not the build's own file: a developer may be about to copy that one.
        let found = std::env::temp_dir()
            .join(format!("glue-cuts-test-{}.js", std::process::id()))
            .to_string_lossy()
            .into_owned();
        assert!(check_cuts_into(&golden, &found).is_ok());
        let changed = golden.replacen("instantiateStreaming", "instantiateStreamingV2", 1);
        let err = check_cuts_into(&changed, &found).expect_err("must fail");
        let _ = std::fs::remove_file(&found);
        assert!(
            err.contains("+") && err.contains("instantiateStreamingV2"),
            "{err}"
        );
        assert!(err.contains(&format!("cp {found} {GOLDEN}")), "{err}");
    }

    #[test]
    fn refuses_glue_it_does_not_recognise() {
        let err = trim("let wasm_bindgen = (function(exports) {});").expect_err("must fail");
        assert!(err.contains("__wbg_load"), "{err}");
        assert!(replace_once("x x", "x", "y").is_err());
    }
}
