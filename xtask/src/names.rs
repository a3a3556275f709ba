//! Short import and export names for a wasm module and its wasm-bindgen glue.
//!
//! Why: wasm-bindgen names every import `__wbg_<method>_<16 hex digits>` and writes each
//! name twice, in the wasm import section and as a key in the glue's import object. The
//! hex digits do not compress, so ~140 imports cost ~2.5 KB brotli of the widget's 100 KB
//! budget for nothing. Binaryen's `--minify-imports` only renames the imports of
//! Emscripten modules, so this rewrites the two sections itself: it reads the sections,
//! rebuilds the import (2) and export (7) sections with names `a`, `b`, … `ba`, …, drops
//! the custom sections (tool metadata), copies every other section byte for byte, and
//! renames the same names in the glue, failing if a name is not found exactly where
//! wasm-bindgen writes it.

/// Renames the imports and exports of `wasm` and the uses in `glue` (wasm-bindgen's
/// `no-modules` output, before minification). Returns the new module and glue.
pub fn shorten(wasm: &[u8], glue: &str) -> Result<(Vec<u8>, String), String> {
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        return Err("not a wasm module".into());
    }
    let mut out = wasm[..8].to_vec();
    let mut at = 8;
    let mut imports: Vec<(String, String)> = Vec::new();
    let mut exports: Vec<(String, String)> = Vec::new();
    let mut modules: Vec<(String, String)> = Vec::new();
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at)? as usize;
        let body = wasm
            .get(at..at + size)
            .ok_or("a section runs past the end of the module")?;
        at += size;
        let body = match id {
            // Custom sections (`producers`, `target_features`, names) are for tools, which
            // have all run by now; browsers skip them, visitors would download them.
            0 => continue,
            2 => rename_imports(body, &mut imports, &mut modules)?,
            7 => rename_exports(body, &mut exports)?,
            _ => body.to_vec(),
        };
        out.push(id);
        put_leb(&mut out, body.len() as u64);
        out.extend_from_slice(&body);
    }

    let mut glue = glue.to_owned();
    for (old, new) in &imports {
        // Each import is one key of the import object: `            name: function(`.
        let key = format!("{old}:");
        if glue.matches(&key).count() != 1 {
            return Err(format!(
                "import {old} is not a key of the glue's import object"
            ));
        }
        glue = glue.replace(&key, &format!("{new}:"));
    }
    for (old, new) in &modules {
        let key = format!("\"{old}\":");
        if glue.matches(&key).count() != 1 {
            return Err(format!("import module {old} is not named in the glue"));
        }
        glue = glue.replace(&key, &format!("\"{new}\":"));
    }
    let glue = rename_member_uses(&glue, "wasm.", &exports);
    left_over(&glue, &imports, &exports)?;
    Ok((out, glue))
}

/// After the renaming, no old name may be left in the glue: neither an import object's key
/// nor a use of an export (`wasm.<name>`). A glue written differently by a new
/// wasm-bindgen fails the build here instead of failing in the browser.
fn left_over(
    glue: &str,
    imports: &[(String, String)],
    exports: &[(String, String)],
) -> Result<(), String> {
    for (old, _) in imports {
        // Old import names are long (`__wbg_…_<hash>`); a short new one cannot contain one.
        if old.len() > 3 && glue.contains(&format!("{old}:")) {
            return Err(format!(
                "import {old} is still named in the glue after renaming"
            ));
        }
    }
    let mut rest = glue;
    while let Some(i) = rest.find("wasm.") {
        let before_ok = i == 0 || !is_ident(rest[..i].chars().next_back().unwrap_or(' '));
        rest = &rest[i + "wasm.".len()..];
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        let used = &rest[..end];
        if before_ok && exports.iter().any(|(old, new)| old == used && old != new) {
            return Err(format!(
                "export {used} is still used by its old name in the glue"
            ));
        }
        rest = &rest[end..];
    }
    Ok(())
}

/// `prefix` + identifier → `prefix` + new name, for identifiers in `names` only.
fn rename_member_uses(text: &str, prefix: &str, names: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        let before_ok = i == 0 || !is_ident(rest[..i].chars().next_back().unwrap_or(' '));
        out.push_str(&rest[..i + prefix.len()]);
        rest = &rest[i + prefix.len()..];
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        match names.iter().find(|(old, _)| old == &rest[..end]) {
            Some((_, new)) if before_ok => out.push_str(new),
            _ => out.push_str(&rest[..end]),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// The n-th short name: a … z, A … Z, then two letters.
fn short_name(n: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut n = n;
    let mut name = vec![LETTERS[n % LETTERS.len()]];
    n /= LETTERS.len();
    while n > 0 {
        n -= 1;
        name.insert(0, LETTERS[n % LETTERS.len()]);
        n /= LETTERS.len();
    }
    String::from_utf8_lossy(&name).into_owned()
}

fn rename_imports(
    body: &[u8],
    renamed: &mut Vec<(String, String)>,
    modules: &mut Vec<(String, String)>,
) -> Result<Vec<u8>, String> {
    let mut at = 0;
    let count = leb(body, &mut at)?;
    let mut out = Vec::new();
    put_leb(&mut out, count);
    for _ in 0..count {
        let module = name(body, &mut at)?;
        let field = name(body, &mut at)?;
        let desc_start = at;
        skip_import_desc(body, &mut at)?;
        let new_module = match modules.iter().find(|(old, _)| *old == module) {
            Some((_, new)) => new.clone(),
            None => {
                let new = short_name(modules.len());
                modules.push((module, new.clone()));
                new
            }
        };
        let new_field = short_name(renamed.len());
        renamed.push((field, new_field.clone()));
        put_name(&mut out, &new_module);
        put_name(&mut out, &new_field);
        out.extend_from_slice(&body[desc_start..at]);
    }
    Ok(out)
}

fn rename_exports(body: &[u8], renamed: &mut Vec<(String, String)>) -> Result<Vec<u8>, String> {
    let mut at = 0;
    let count = leb(body, &mut at)?;
    let mut out = Vec::new();
    put_leb(&mut out, count);
    for _ in 0..count {
        let field = name(body, &mut at)?;
        let desc_start = at;
        at += 1; // kind
        leb(body, &mut at)?; // index
        let new_field = short_name(renamed.len());
        renamed.push((field, new_field.clone()));
        put_name(&mut out, &new_field);
        out.extend_from_slice(body.get(desc_start..at).ok_or("truncated export")?);
    }
    Ok(out)
}

/// Skips an import description: function, table, memory, global or tag.
fn skip_import_desc(body: &[u8], at: &mut usize) -> Result<(), String> {
    let kind = byte(body, at)?;
    match kind {
        0x00 => {
            leb(body, at)?;
        }
        0x01 => {
            byte(body, at)?; // reference type
            skip_limits(body, at)?;
        }
        0x02 => skip_limits(body, at)?,
        0x03 => {
            byte(body, at)?; // value type
            byte(body, at)?; // mutability
        }
        0x04 => {
            byte(body, at)?; // attribute
            leb(body, at)?;
        }
        other => return Err(format!("unknown import kind {other:#x}")),
    }
    Ok(())
}

fn skip_limits(body: &[u8], at: &mut usize) -> Result<(), String> {
    let flags = byte(body, at)?;
    leb(body, at)?;
    if flags & 1 == 1 {
        leb(body, at)?;
    }
    Ok(())
}

fn byte(bytes: &[u8], at: &mut usize) -> Result<u8, String> {
    let b = *bytes.get(*at).ok_or("unexpected end of the module")?;
    *at += 1;
    Ok(b)
}

fn leb(bytes: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let b = byte(bytes, at)?;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
        if shift > 63 {
            return Err("LEB128 number too long".into());
        }
    }
}

fn put_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let b = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn name(bytes: &[u8], at: &mut usize) -> Result<String, String> {
    let len = leb(bytes, at)? as usize;
    let raw = bytes
        .get(*at..*at + len)
        .ok_or("a name runs past its section")?;
    *at += len;
    String::from_utf8(raw.to_vec()).map_err(|_| "a name is not UTF-8".to_owned())
}

fn put_name(out: &mut Vec<u8>, name: &str) {
    put_leb(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with one function import, one memory import and two exports.
    fn module() -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        // type section: one type () -> ()
        m.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        let mut imports = Vec::new();
        put_leb(&mut imports, 2);
        put_name(&mut imports, "./x_bg.js");
        put_name(&mut imports, "__wbg_now_0123456789abcdef");
        imports.extend_from_slice(&[0x00, 0]);
        put_name(&mut imports, "./x_bg.js");
        put_name(&mut imports, "__wbg_mem_0123456789abcdef");
        imports.extend_from_slice(&[0x02, 0x01, 1, 200, 1]);
        m.push(2);
        put_leb(&mut m, imports.len() as u64);
        m.extend_from_slice(&imports);
        let mut exports = Vec::new();
        put_leb(&mut exports, 2);
        put_name(&mut exports, "mountOffer");
        exports.extend_from_slice(&[0x00, 0]);
        put_name(&mut exports, "__wbindgen_malloc");
        exports.extend_from_slice(&[0x00, 130, 1]);
        m.push(7);
        put_leb(&mut m, exports.len() as u64);
        m.extend_from_slice(&exports);
        // A custom section, as wasm-bindgen leaves `producers` behind.
        let mut custom = Vec::new();
        put_name(&mut custom, "producers");
        custom.extend_from_slice(b"rustc");
        m.push(0);
        put_leb(&mut m, custom.len() as u64);
        m.extend_from_slice(&custom);
        m
    }

    const GLUE: &str = "const import0 = {\n __wbg_now_0123456789abcdef: function() {},\n \
        __wbg_mem_0123456789abcdef: function() {},\n};\nreturn { \"./x_bg.js\": import0 };\n\
        wasm.mountOffer(a); wasm.__wbindgen_malloc(1); notwasm.mountOffer; wasm.mountOfferX;";

    #[test]
    fn renames_in_module_and_glue_alike() {
        let (wasm, glue) = shorten(&module(), GLUE).expect("shortened");
        assert!(glue.contains(" a: function"), "{glue}");
        assert!(glue.contains(" b: function"), "{glue}");
        assert!(glue.contains("{ \"a\": import0 }"), "{glue}");
        assert!(glue.contains("wasm.a(a); wasm.b(1);"), "{glue}");
        assert!(
            glue.contains("notwasm.mountOffer; wasm.mountOfferX;"),
            "{glue}"
        );
        // Read back: the sections hold the short names and the descriptions unchanged.
        let mut at = 8 + 6;
        assert_eq!(wasm[at], 2);
        at += 1;
        let _size = leb(&wasm, &mut at).expect("size");
        assert_eq!(leb(&wasm, &mut at).expect("count"), 2);
        assert_eq!(name(&wasm, &mut at).expect("module"), "a");
        assert_eq!(name(&wasm, &mut at).expect("field"), "a");
        assert_eq!(&wasm[at..at + 2], &[0x00, 0]);
        at += 2;
        assert_eq!(name(&wasm, &mut at).expect("module"), "a");
        assert_eq!(name(&wasm, &mut at).expect("field"), "b");
        assert_eq!(&wasm[at..at + 5], &[0x02, 0x01, 1, 200, 1]);
        at += 5;
        assert_eq!(wasm[at], 7);
        at += 1;
        let _size = leb(&wasm, &mut at).expect("size");
        assert_eq!(leb(&wasm, &mut at).expect("count"), 2);
        assert_eq!(name(&wasm, &mut at).expect("export"), "a");
        at += 2;
        assert_eq!(name(&wasm, &mut at).expect("export"), "b");
        // The custom section is gone: the module ends with the exports.
        assert_eq!(&wasm[at..], &[0x00, 130, 1]);
    }

    #[test]
    fn refuses_glue_that_does_not_match() {
        let err = shorten(&module(), "nothing here").expect_err("must fail");
        assert!(err.contains("__wbg_now_0123456789abcdef"), "{err}");
        assert!(shorten(b"\0asm", "").is_err());
        assert!(shorten(b"not wasm at all", "").is_err());
    }

    #[test]
    fn short_names_are_unique() {
        let names: Vec<String> = (0..3000).map(short_name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert_eq!(names[0], "a");
        assert_eq!(names[52], "aa");
    }

    #[test]
    fn no_old_name_is_left_in_the_glue() {
        let imports = vec![("__wbg_log_0123456789abcdef".to_owned(), "a".to_owned())];
        let exports = vec![("mountOffer".to_owned(), "b".to_owned())];
        assert!(left_over("{ a: function() {}, wasm.b(1) }", &imports, &exports).is_ok());
        let err = left_over("{ __wbg_log_0123456789abcdef: f }", &imports, &exports);
        assert!(err.is_err_and(|e| e.contains("still named")));
        let err = left_over("x = wasm.mountOffer(1)", &imports, &exports);
        assert!(err.is_err_and(|e| e.contains("old name")));
        // `somewasm.mountOffer` is another object's member, not the module's export.
        assert!(left_over("somewasm.mountOffer", &imports, &exports).is_ok());
    }
}
