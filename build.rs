//! Strips comments and spacing from `src/style.css` for the wasm (the readable file stays
//! the source): every byte of the widget counts against its budget.

use std::env;
use std::fs;
use std::path::Path;

const FULL_BEGIN: &str = "/* full build: */";
const FULL_END: &str = "/* end of full build */";

fn main() {
    println!("cargo:rerun-if-changed=src/style.css");
    let mut css = fs::read_to_string("src/style.css").unwrap_or_default();
    // Styles of what only the full build renders (overlays) sit between these markers.
    if env::var_os("CARGO_FEATURE_FULL").is_none() {
        while let (Some(start), Some(end)) = (css.find(FULL_BEGIN), css.find(FULL_END)) {
            if end < start {
                break;
            }
            css.replace_range(start..end + FULL_END.len(), "");
        }
    }
    let mut out = String::with_capacity(css.len());
    let mut rest = css.as_str();
    // Comments out; runs of whitespace become one space.
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    let mut min = String::with_capacity(out.len());
    let mut space = false;
    for c in out.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        // No space is needed around these characters.
        // (A space before `:` stays: in `.lm :focus-visible` it is a descendant combinator.)
        if space
            && !min.is_empty()
            && !"{};,>".contains(c)
            && !min.ends_with(['{', '}', ';', ',', '>'])
            && (!min.ends_with(':') || min.ends_with(" :"))
        {
            min.push(' ');
        }
        space = false;
        min.push(c);
    }
    let dir = env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    let _ = fs::write(Path::new(&dir).join("style.min.css"), min);
}
