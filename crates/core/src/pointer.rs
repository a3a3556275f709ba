//! JSON pointers (RFC 6901) for serde_json errors.
//!
//! serde_json reports a line and column; marketers also want the place as a path
//! (`/fields/3/type`). Rather than wrapping every deserializer (serde_path_to_error
//! costs the widget ~30 KB of wasm), this scans the text up to the error position and
//! keeps the stack of open objects and arrays. The text before an error position is
//! valid JSON up to that point, so the scan is simple.

enum Frame {
    /// An object and the key whose value is being read, if any.
    Object(Option<String>),
    /// An array, the index of the current element, and whether it has begun.
    Array(usize, bool),
}

/// The pointer of the value serde_json was reading when it reported `err` on `json`.
pub fn of_error(json: &[u8], err: &serde_json::Error) -> String {
    let (line, column) = (err.line(), err.column());
    let line_start = if line <= 1 {
        0
    } else {
        json.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map_or(json.len(), |(i, _)| i + 1)
    };
    pointer_at(json, (line_start + column).min(json.len()))
}

/// The pointer of the value being read after `json[..end]`.
pub fn pointer_at(json: &[u8], end: usize) -> String {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        let b = json[i];
        if let Some(Frame::Array(_, started)) = stack.last_mut() {
            if !b.is_ascii_whitespace() && b != b']' && b != b',' {
                *started = true;
            }
        }
        match b {
            b'{' => stack.push(Frame::Object(None)),
            b'[' => stack.push(Frame::Array(0, false)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(index, started)) => {
                    *index += 1;
                    *started = false;
                }
                Some(Frame::Object(key)) => *key = None,
                None => {}
            },
            b'"' => {
                let start = i + 1;
                i = start;
                while i < json.len() && json[i] != b'"' {
                    i += if json[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object(key @ None)) = stack.last_mut() {
                    let raw = &json[start..i.min(json.len())];
                    *key = Some(unescape(&String::from_utf8_lossy(raw)));
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut out = String::new();
    for frame in &stack {
        match frame {
            Frame::Object(Some(key)) => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Frame::Array(index, true) => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            _ => {}
        }
    }
    out
}

/// Decodes the common escapes of a JSON key; keys with `\u` escapes are rare in configs
/// and are shown as written.
fn unescape(raw: &str) -> String {
    raw.replace("\\\"", "\"").replace("\\\\", "\\").replace("\\/", "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(json: &str, marker: &str) -> String {
        let end = json.find(marker).map(|i| i + marker.len()).unwrap_or(json.len());
        pointer_at(json.as_bytes(), end)
    }

    #[test]
    fn follows_objects_and_arrays() {
        let json = r#"{"a": {"b": [10, {"c": "x"}, 30]}, "d/e~f": 1}"#;
        assert_eq!(at(json, "10"), "/a/b/0");
        assert_eq!(at(json, r#""x""#), "/a/b/1/c");
        assert_eq!(at(json, "30"), "/a/b/2");
        assert_eq!(at(json, "]"), "/a/b");
        assert_eq!(at(json, "]}"), "/a");
        assert_eq!(at(json, r#""d/e~f": 1"#), "/d~1e~0f");
        assert_eq!(at(json, "1}"), "");
    }

    #[test]
    fn strings_with_brackets_and_escapes_do_not_confuse_it() {
        let json = r#"{"k\"ey": "{[,", "n": [ "]", 5 ]}"#;
        assert_eq!(at(json, r#""{[,""#), "/k\"ey");
        assert_eq!(at(json, "5"), "/n/1");
    }

    #[test]
    fn empty_array_element_is_the_array() {
        assert_eq!(at(r#"{"a": [ "#, "[ "), "/a");
    }
}
