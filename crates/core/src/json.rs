//! A small JSON reader for the two versioned documents (offer config, lead payload),
//! with errors that name the exact place: a JSON pointer, a line and a column.
//!
//! Why not serde_json for reading: its deserializer plus float formatting for error
//! messages cost the widget ~40 KB of wasm, a third of its byte budget, and it reports
//! only line and column. Here the text is parsed into a tree that remembers each
//! value's byte offset, and serde's derived `Deserialize` impls read from that tree;
//! errors collect the path on their way out. Writing JSON still uses serde_json.

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Unexpected,
    Visitor,
};
use serde::forward_to_deserialize_any;
use std::cell::RefCell;
use std::fmt;

/// Deepest nesting accepted; deeper documents are refused instead of exhausting the stack.
const MAX_DEPTH: usize = 64;

/// A parse or shape error: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// JSON pointer of the offending value (`""` is the whole document).
    pub pointer: String,
    /// 1-based line and column (in characters) of the offending value.
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// Whether the text is not JSON at all (as opposed to JSON of the wrong shape).
    pub syntax: bool,
    /// Byte offset, while the error unwinds; turned into line/column at the top.
    offset: Option<usize>,
    /// Path segments collected innermost first while unwinding.
    path: Vec<String>,
}

impl Error {
    fn new(message: String) -> Error {
        Error {
            pointer: String::new(),
            line: 0,
            column: 0,
            message,
            syntax: false,
            offset: None,
            path: Vec::new(),
        }
    }

    fn at(mut self, offset: usize) -> Error {
        self.offset.get_or_insert(offset);
        self
    }

    fn inside(mut self, segment: String) -> Error {
        self.path.push(segment);
        self
    }

    fn finish(mut self, text: &str) -> Error {
        let offset = self.offset.unwrap_or(0).min(text.len());
        let before = &text.as_bytes()[..offset];
        self.line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        self.column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        for segment in self.path.iter().rev() {
            self.pointer.push('/');
            self.pointer
                .push_str(&segment.replace('~', "~0").replace('/', "~1"));
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{at} (line {}, column {}): {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error::new(msg.to_string())
    }

    // Overridden so that no float formatting code is linked into the widget: serde's
    // own message would print the number.
    fn invalid_type(unexp: Unexpected, exp: &dyn de::Expected) -> Error {
        Error::new(format!("expected {}, found {}", plain(exp), describe(&unexp)))
    }

    fn invalid_value(unexp: Unexpected, exp: &dyn de::Expected) -> Error {
        Error::new(format!("expected {}, found {}", plain(exp), describe(&unexp)))
    }
}

/// serde's names for what it expected, in the words of a JSON document.
fn plain(exp: &dyn de::Expected) -> String {
    let said = exp.to_string();
    match said.as_str() {
        "f32" | "f64" => "a number".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "a sequence" => "an array [...]".into(),
        "a map" => "an object {...}".into(),
        s if s.starts_with("struct ") => "an object {...}".into(),
        _ => said,
    }
}

fn describe(unexp: &Unexpected) -> String {
    match unexp {
        Unexpected::Bool(b) => format!("the boolean {b}"),
        Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number".into(),
        Unexpected::Str(s) => format!("the string \"{s}\""),
        Unexpected::Unit => "null".into(),
        Unexpected::Seq => "an array".into(),
        Unexpected::Map => "an object".into(),
        _ => "another kind of value".into(),
    }
}

/// A parsed JSON value and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    offset: usize,
    value: Value,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    /// Kept as written; converted to the type the reader asks for.
    Number(String),
    String(String),
    Array(Vec<Node>),
    /// Keys with their own offsets, in document order.
    Object(Vec<(usize, String, Node)>),
}

/// Reads `text` as a `T`, or says where and why not.
///
/// Keys that `T` does not know are skipped and returned as problems (each with its pointer
/// and, when a known key is close, a "did you mean"), so that a caller can report every
/// unknown key at once instead of stopping at the first. Wrong types stop the reading.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<(T, Vec<Error>), Error> {
    let node = parse(text).map_err(|e| Error {
        syntax: true,
        ..e.finish(text)
    })?;
    let unknown = RefCell::new(Vec::new());
    let de = De {
        node: &node,
        path: Vec::new(),
        unknown: &unknown,
    };
    let value = T::deserialize(de).map_err(|e| e.finish(text))?;
    let unknown = unknown.into_inner().into_iter().map(|e| e.finish(text)).collect();
    Ok((value, unknown))
}

fn parse(text: &str) -> Result<Node, Error> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let node = p.value(0)?;
    p.ws();
    if p.i < p.s.len() {
        return Err(
            Error::new("unexpected text after the end of the JSON document".into()).at(p.i),
        );
    }
    Ok(node)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn fail<T>(&self, message: &str) -> Result<T, Error> {
        let found = match self.s.get(self.i) {
            None => "the end of the text".to_owned(),
            Some(_) => {
                let rest = String::from_utf8_lossy(&self.s[self.i..]);
                format!("`{}`", rest.chars().next().unwrap_or(' '))
            }
        };
        Err(Error::new(format!("{message}, found {found}")).at(self.i))
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, Error> {
        self.ws();
        let offset = self.i;
        if depth > MAX_DEPTH {
            return Err(Error::new(format!("nested deeper than {MAX_DEPTH} levels")).at(offset));
        }
        let value = match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut members: Vec<(usize, String, Node)> = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let key_at = self.i;
                        if self.s.get(self.i) == Some(&b'}') && !members.is_empty() {
                            return self.fail("remove the trailing comma before `}`: expected another key");
                        }
                        if self.s.get(self.i) != Some(&b'"') {
                            return self.fail("expected a key in double quotes");
                        }
                        let key = self.string()?;
                        if members.iter().any(|(_, k, _)| *k == key) {
                            return Err(Error::new(format!("duplicate key `{key}`")).at(key_at));
                        }
                        if !self.eat(b':') {
                            return self.fail("expected `:` after the key");
                        }
                        let v = self.value(depth + 1)?;
                        members.push((key_at, key, v));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return self.fail("expected `,` or `}`");
                        }
                    }
                }
                Value::Object(members)
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        self.ws();
                        if self.s.get(self.i) == Some(&b']') && !items.is_empty() {
                            return self.fail("remove the trailing comma before `]`: expected another value");
                        }
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return self.fail("expected `,` or `]`");
                        }
                    }
                }
                Value::Array(items)
            }
            Some(b'"') => Value::String(self.string()?),
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                Value::Bool(true)
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                Value::Bool(false)
            }
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                Value::Null
            }
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return self.fail("expected a value"),
        };
        Ok(Node { offset, value })
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.i;
        let digits = |p: &mut Parser| {
            let from = p.i;
            while p.s.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i > from
        };
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let leading_zero = self.s.get(self.i) == Some(&b'0');
        if !digits(self)
            || (leading_zero && self.i - start > 1 + usize::from(self.s[start] == b'-'))
        {
            self.i = start;
            return self.fail("expected a number such as 42 or -1.5");
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !digits(self) {
                return self.fail("expected digits after the decimal point");
            }
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return self.fail("expected digits in the exponent");
            }
        }
        Ok(Value::Number(
            String::from_utf8_lossy(&self.s[start..self.i]).into_owned(),
        ))
    }

    fn string(&mut self) -> Result<String, Error> {
        let quote = self.i;
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.s.get(self.i) {
                None => {
                    return Err(
                        Error::new("unterminated string: add the closing `\"`".into()).at(quote),
                    )
                }
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    let esc = self.s.get(self.i + 1).copied();
                    self.i += 2;
                    match esc {
                        Some(b'"') => out.push(b'"'),
                        Some(b'\\') => out.push(b'\\'),
                        Some(b'/') => out.push(b'/'),
                        Some(b'b') => out.push(8),
                        Some(b'f') => out.push(12),
                        Some(b'n') => out.push(b'\n'),
                        Some(b'r') => out.push(b'\r'),
                        Some(b't') => out.push(b'\t'),
                        Some(b'u') => {
                            let mut c = self.hex4()?;
                            if (0xD800..0xDC00).contains(&c) && self.s[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let low = self.hex4()?;
                                c = 0x10000
                                    + ((c - 0xD800) << 10)
                                    + (low.wrapping_sub(0xDC00) & 0x3FF);
                            }
                            let ch = char::from_u32(c).unwrap_or('\u{FFFD}');
                            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                        _ => {
                            self.i -= 1;
                            return self.fail(
                                "invalid escape: use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX",
                            );
                        }
                    }
                }
                Some(&b) if b < 0x20 => {
                    return self
                        .fail("control character in a string: write it as an escape such as \\n")
                }
                Some(&b) => {
                    out.push(b);
                    self.i += 1;
                }
            }
        }
        // The input is a &str, so the bytes between quotes are UTF-8.
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let hex = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u32::from_str_radix(h, 16).ok()) {
            Some(v) => {
                self.i += 4;
                Ok(v)
            }
            None => self.fail("expected four hex digits after \\u"),
        }
    }
}

/// A node being read, the path to it, and where unknown keys are noted.
struct De<'de> {
    node: &'de Node,
    path: Vec<String>,
    unknown: &'de RefCell<Vec<Error>>,
}

impl<'de> De<'de> {
    fn child(&self, node: &'de Node, segment: String) -> De<'de> {
        let mut path = self.path.clone();
        path.push(segment);
        De {
            node,
            path,
            unknown: self.unknown,
        }
    }
}

/// Non-generic, so that each type read does not carry its own copy.
enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

fn number(text: &str) -> Number {
    if let Ok(u) = text.parse::<u64>() {
        Number::Unsigned(u)
    } else if let Ok(i) = text.parse::<i64>() {
        Number::Signed(i)
    } else {
        Number::Float(parse_decimal(text).unwrap_or(f64::NAN))
    }
}

impl<'de> de::Deserializer<'de> for De<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let offset = self.node.offset;
        let result = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match number(n) {
                Number::Unsigned(u) => visitor.visit_u64(u),
                Number::Signed(i) => visitor.visit_i64(i),
                Number::Float(f) => visitor.visit_f64(f),
            },
            Value::String(s) => visitor.visit_str(s),
            Value::Array(items) => visitor.visit_seq(Items {
                parent: &self,
                items: items.iter(),
                index: 0,
            }),
            Value::Object(members) => visitor.visit_map(Members {
                parent: &self,
                members: members.iter(),
                current: None,
                known: None,
            }),
        };
        result.map_err(|e| e.at(offset))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            // Unit variants, written as strings: the only enum shape the documents use.
            Value::String(s) => visitor
                .visit_enum(s.as_str().into_deserializer())
                .map_err(|e: Error| e.at(self.node.offset)),
            other => Err(not_one_of(variants, other).at(self.node.offset)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Object(members) => visitor
                .visit_map(Members {
                    parent: &self,
                    members: members.iter(),
                    current: None,
                    known: Some(fields),
                })
                .map_err(|e| e.at(self.node.offset)),
            // Objects only: serde would also accept an array for a struct.
            Value::Array(_) => Err(not_an_object(self.node.offset)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Array(_) => Err(not_an_object(self.node.offset)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct identifier ignored_any
    }
}

fn not_an_object(offset: usize) -> Error {
    Error::new("expected an object {…}, found an array".into()).at(offset)
}

fn not_one_of(variants: &[&str], found: &Value) -> Error {
    let names: Vec<String> = variants.iter().map(|v| format!("\"{v}\"")).collect();
    let found = match found {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
        _ => Unexpected::Unsigned(0),
    };
    Error::new(format!(
        "expected one of {}, found {}",
        names.join(", "),
        describe(&found)
    ))
}

/// The known name closest to `given`, if it is close enough to be a likely typo: the same
/// name in other case, a name it begins (`contains` → `contains_any`), or one a few edits away.
pub fn did_you_mean<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let known: Vec<&str> = known.into_iter().collect();
    if let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(given)) {
        return Some(k);
    }
    if given.len() >= 4 {
        if let Some(k) = known.iter().find(|k| k.starts_with(given)) {
            return Some(k);
        }
    }
    known
        .into_iter()
        .map(|k| (edit_distance(given, k), k))
        .filter(|(d, k)| *d <= 2.max(k.chars().count() / 4) && *d < k.chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let old = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(row[j + 1]) };
            prev = old;
        }
    }
    row[b.len()]
}

/// Decimal text (JSON number syntax) to f64 without the standard parser's tables
/// (≈10 KB of wasm); exact for the short decimals configs and forms hold, within a few
/// ulps otherwise. `None` for anything that is not a plain decimal number.
pub fn parse_decimal(n: &str) -> Option<f64> {
    let n = n.trim();
    let body = n.strip_prefix('-').unwrap_or(n);
    let ok = !body.is_empty()
        && body.chars().next().is_some_and(|c| c.is_ascii_digit())
        && body.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && body.matches('.').count() <= 1;
    if !ok {
        return None;
    }
    let (mantissa, exp) = match n.find(['e', 'E']) {
        Some(i) => (&n[..i], n[i + 1..].parse::<i32>().unwrap_or(0)),
        None => (n, 0),
    };
    let negative = mantissa.starts_with('-');
    let (int, frac) = mantissa
        .trim_start_matches('-')
        .split_once('.')
        .unwrap_or((mantissa.trim_start_matches('-'), ""));
    let digits: String = format!("{int}{frac}");
    let value = digits
        .bytes()
        .fold(0f64, |acc, d| acc * 10.0 + f64::from(d - b'0'));
    let scale = exp - i32::try_from(frac.len()).unwrap_or(0);
    let scaled = if scale >= 0 {
        value * 10f64.powi(scale)
    } else {
        value / 10f64.powi(-scale)
    };
    Some(if negative { -scaled } else { scaled })
}

struct Items<'a, 'de> {
    parent: &'a De<'de>,
    items: std::slice::Iter<'de, Node>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(self.parent.child(node, index.to_string()))
            .map(Some)
            .map_err(|e| e.at(node.offset).inside(index.to_string()))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Members<'a, 'de> {
    parent: &'a De<'de>,
    members: std::slice::Iter<'de, (usize, String, Node)>,
    current: Option<&'de (usize, String, Node)>,
    /// The keys of the struct being read; other keys are noted and skipped.
    known: Option<&'static [&'static str]>,
}

impl<'de> MapAccess<'de> for Members<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        loop {
            let Some(member) = self.members.next() else {
                return Ok(None);
            };
            let (key_at, key, _) = member;
            if let Some(known) = self.known.filter(|k| !k.contains(&key.as_str())) {
                let hint = match did_you_mean(key, known.iter().copied()) {
                    Some(k) => format!(" (did you mean \"{k}\"?)"),
                    None => {
                        let names: Vec<String> = known.iter().map(|k| format!("\"{k}\"")).collect();
                        format!("; known keys here: {}", names.join(", "))
                    }
                };
                let mut path = self.parent.path.clone();
                path.push(key.clone());
                path.reverse();
                self.parent.unknown.borrow_mut().push(Error {
                    path,
                    ..Error::new(format!("unknown key \"{key}\"{hint}")).at(*key_at)
                });
                continue;
            }
            self.current = Some(member);
            return seed
                .deserialize(key.as_str().into_deserializer())
                .map(Some)
                .map_err(|e: Error| e.at(*key_at).inside(key.clone()));
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((_, key, node)) = self.current.take() else {
            return Err(Error::new("value asked for before its key".into()));
        };
        seed.deserialize(self.parent.child(node, key.clone()))
            .map_err(|e| e.at(node.offset).inside(key.clone()))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Doc {
        name: String,
        #[serde(default)]
        tags: Vec<String>,
        size: Option<u32>,
        kind: Kind,
        #[serde(default)]
        extra: BTreeMap<String, f64>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Small,
        LargeOne,
    }

    fn err(text: &str) -> String {
        from_str::<Doc>(text).map(|_| ()).expect_err(text).to_string()
    }

    #[test]
    fn reads_documents() {
        let (doc, unknown): (Doc, _) = from_str(
            r#"{"name": "caf\u00e9 \"x\" \ud83d\ude00\n", "tags": ["a","b"], "size": null, "kind": "large_one",
               "extra": {"a": 1.5, "b": -2e3, "c": 0.1, "d": 12}}"#,
        )
        .expect("valid");
        assert_eq!(unknown, []);
        assert_eq!(doc.name, "café \"x\" 😀\n");
        assert_eq!(doc.tags, ["a", "b"]);
        assert_eq!(doc.size, None);
        assert_eq!(doc.kind, Kind::LargeOne);
        assert_eq!(doc.extra["a"], 1.5);
        assert_eq!(doc.extra["b"], -2000.0);
        assert_eq!(doc.extra["c"], 0.1);
        assert_eq!(doc.extra["d"], 12.0);
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        assert_eq!(
            err("{\n  \"name\": \"x\"\n  \"kind\": 1}"),
            "/ (line 3, column 3): expected `,` or `}`, found `\"`"
        );
        assert_eq!(
            err("{\"name\": tru}"),
            "/ (line 1, column 10): expected a value, found `t`"
        );
        assert_eq!(
            err("{\"name\": \"x"),
            "/ (line 1, column 10): unterminated string: add the closing `\"`"
        );
        assert_eq!(
            err("{} x"),
            "/ (line 1, column 4): unexpected text after the end of the JSON document"
        );
        assert_eq!(
            err("[01]"),
            "/ (line 1, column 2): expected a number such as 42 or -1.5, found `0`"
        );
        assert_eq!(
            err(r#"{"a": 1, "a": 2}"#),
            "/ (line 1, column 10): duplicate key `a`"
        );
        assert_eq!(
            err(""),
            "/ (line 1, column 1): expected a value, found the end of the text"
        );
        assert!(err(&"[".repeat(100)).contains("nested deeper than 64 levels"));
    }

    #[test]
    fn shape_errors_name_the_pointer() {
        assert_eq!(
            err(r#"{"name": "x", "kind": "small", "tags": ["a", 7]}"#),
            "/tags/1 (line 1, column 46): expected a string, found a number"
        );
        assert_eq!(
            err("{\"name\": \"x\",\n \"kind\": \"medium\"}"),
            "/kind (line 2, column 10): unknown variant `medium`, expected `small` or `large_one`"
        );
        assert_eq!(
            err(r#"{"kind": "small"}"#),
            "/ (line 1, column 1): missing field `name`"
        );
        assert_eq!(
            err(r#"{"name": "x", "kind": "small", "size": -1}"#),
            "/size (line 1, column 40): expected a whole number, 0 or more, found a number"
        );
        assert_eq!(
            err(r#"{"name": "x", "kind": "small", "extra": {"a/b": true}}"#),
            "/extra/a~1b (line 1, column 49): expected a number, found the boolean true"
        );
    }

    #[test]
    fn every_unknown_key_is_reported_with_a_suggestion() {
        let text = "{\"name\": \"x\", \"kind\": \"small\", \"sise\": 3,\n \"extra\": {}, \"colour\": 1}";
        let (doc, unknown): (Doc, _) = from_str(text).expect("reads");
        assert_eq!(doc.size, None);
        let unknown: Vec<String> = unknown.iter().map(ToString::to_string).collect();
        assert_eq!(
            unknown,
            [
                "/sise (line 1, column 32): unknown key \"sise\" (did you mean \"size\"?)",
                "/colour (line 2, column 15): unknown key \"colour\"; known keys here: \"name\", \"tags\", \"size\", \"kind\", \"extra\"",
            ]
        );
    }

    #[test]
    fn suggestions_need_a_close_name() {
        assert_eq!(did_you_mean("rolle", ["role", "company", "email"]), Some("role"));
        assert_eq!(did_you_mean("emial", ["role", "company", "email"]), Some("email"));
        assert_eq!(did_you_mean("xyz", ["role", "company", "email"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn decimals_parse_without_the_std_tables() {
        assert_eq!(parse_decimal("42"), Some(42.0));
        assert_eq!(parse_decimal("-0.25"), Some(-0.25));
        assert_eq!(parse_decimal("1e3"), Some(1000.0));
        assert_eq!(parse_decimal(" 7.5 "), Some(7.5));
        for bad in ["", "-", "1.2.3", "abc", "1,5", "--1", ".5"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(
            err("{\"name\": \"Grüße\", \"kind\": 5}"),
            "/kind (line 1, column 27): expected one of \"small\", \"large_one\", found a number"
        );
    }
}
