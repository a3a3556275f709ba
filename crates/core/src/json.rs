//! A small JSON reader for the two versioned documents (offer config, lead payload),
//! with problems that name the exact place: a JSON pointer, a line and a column.
//!
//! Why not serde's `Deserialize`: its derived visitors, monomorphized per type, and
//! serde_json's reader and writer cost the widget ~31 KB brotli of its 100 KB budget
//! (ARCHITECTURE.md, "The byte budget": 15 + 14 + 2.5 KB). Here the text is
//! parsed into a tree that remembers each value's byte offset, and each type reads itself
//! from the tree with small, mostly non-generic helpers ([`FromJson`], [`Reader`]). A
//! reader also collects *every* problem (wrong types, missing and unknown keys with a
//! "did you mean") instead of stopping at the first.
//!
//! Writing is hand-made for the same reason ([`ToJson`], [`Writer`]): the lead payload
//! and scores are written by the widget and the CLI alike, compact or indented exactly as
//! serde_json's pretty printer does.

use std::fmt;

/// Deepest nesting accepted; deeper documents are refused instead of exhausting the stack.
const MAX_DEPTH: usize = 64;

#[cfg(all(test, feature = "messages"))]
thread_local! {
    /// Duplicate-key lookups made (tests: the work an object's keys cost is linear).
    static KEY_LOOKUPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

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
    /// Byte offset of the place; turned into line and column by `finish`.
    offset: Option<usize>,
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
        }
    }

    fn at(mut self, offset: usize) -> Error {
        self.offset.get_or_insert(offset);
        self
    }

    /// The same error one level up: inside member `key` (or element `key`) of a container,
    /// so a syntax error deep in a document still names its JSON pointer.
    fn under(mut self, key: &str) -> Error {
        self.pointer = child("", key) + &self.pointer;
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
        // Offsets always fall on character boundaries (they point at ASCII delimiters).
        self.column = text
            .get(line_start..offset)
            .map_or(0, |t| t.chars().count())
            + 1;
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

/// A parsed JSON value and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    offset: usize,
    pub(crate) value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// Kept as written; converted to the type the reader asks for.
    Number(String),
    String(String),
    Array(Vec<Node>),
    /// Keys with their own offsets, in document order.
    Object(Vec<(usize, String, Node)>),
}

/// Reads `text` as a `T`. Unknown keys are problems when `strict` (configs), and are
/// skipped otherwise (payloads: a newer widget may send more than this collector knows).
/// On failure, every problem found, in document order.
pub fn read<T: FromJson>(text: &str, strict: bool) -> Result<T, Vec<Error>> {
    let mut value = None;
    read_with(text, strict, &mut |r, node| value = T::read(r, node, ""))?;
    value.ok_or_else(Vec::new)
}

/// [`read`] without its type: one copy of the parsing and the problem handling for every
/// type read (each generic copy cost the widget ~0.8 KB).
#[inline(never)]
fn read_with(
    text: &str,
    strict: bool,
    read: &mut dyn FnMut(&mut Reader, &Node),
) -> Result<(), Vec<Error>> {
    let node = parse(text).map_err(|e| {
        vec![Error {
            syntax: true,
            ..e.finish(text)
        }]
    })?;
    let mut r = Reader {
        problems: Vec::new(),
        strict,
    };
    read(&mut r, &node);
    let mut problems: Vec<Error> = r.problems.into_iter().map(|e| e.finish(text)).collect();
    // In document order. Insertion sort: the list is short and nearly sorted, and a
    // library sort would add ~3 KB to the widget.
    for i in 1..problems.len() {
        let mut j = i;
        while j > 0
            && (problems[j - 1].line, problems[j - 1].column)
                > (problems[j].line, problems[j].column)
        {
            problems.swap(j - 1, j);
            j -= 1;
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Every problem of `text` as a `T`, and the value as far as it can be read: where a
/// value of the wrong shape makes the whole unreadable, members named by problems are
/// left out, and missing required ones stood in for (an empty value of the kind the
/// reader asks for, or the first name an enum offers), and the rest is read again
/// (offsets stay those of `text`), so the semantic checks can run on everything else in
/// the same pass (`leadmagnet validate`, the studio). Returns the value (if one could be
/// read), the reading problems, and the pointers of the members left out or stood in for,
/// whose semantic problems would only be echoes.
#[cfg(feature = "messages")]
pub fn read_salvaged<T: FromJson>(
    text: &str,
    strict: bool,
) -> (Option<T>, Vec<Error>, Vec<String>) {
    let mut node = match parse(text) {
        Ok(node) => node,
        Err(e) => {
            let e = Error {
                syntax: true,
                ..e.finish(text)
            };
            return (None, vec![e], Vec::new());
        }
    };
    let mut first: Option<Vec<Error>> = None;
    let mut touched: Vec<String> = Vec::new();
    // Stand-ins tried per member, in order.
    let mut attempts: Vec<(String, usize)> = Vec::new();
    for _ in 0..24 {
        let mut r = Reader {
            problems: Vec::new(),
            strict,
        };
        let value = T::read(&mut r, &node, "");
        let round: Vec<(String, String)> = r
            .problems
            .iter()
            .map(|p| (p.pointer.clone(), p.message.clone()))
            .collect();
        if first.is_none() {
            first = Some(r.problems.into_iter().map(|e| e.finish(text)).collect());
        }
        if value.is_some() {
            let mut problems = first.unwrap_or_default();
            sort_by_place(&mut problems);
            return (value, problems, touched);
        }
        let mut progress = false;
        for (pointer, message) in round {
            if let Some(key) = quoted_after(&message, "missing key ") {
                let target = child(&pointer, &key);
                progress |= stand_in(&mut node, &target, None, &mut attempts);
                touched.push(target);
            } else if attempts.iter().any(|(p, _)| *p == pointer) {
                let name = quoted_after(&message, "expected one of ");
                progress |= stand_in(&mut node, &pointer, name, &mut attempts);
            } else if !pointer.is_empty() && remove_member(&mut node, &pointer) {
                touched.push(pointer);
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    let mut problems = first.unwrap_or_default();
    sort_by_place(&mut problems);
    (None, problems, touched)
}

/// The text between the quotes after `after` in `message` (`missing key "label"`).
#[cfg(feature = "messages")]
fn quoted_after(message: &str, after: &str) -> Option<String> {
    let rest = &message[message.find(after)? + after.len()..];
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

/// Puts the next stand-in at `pointer` (an enum's first `name` when known); whether there
/// was one left to try.
#[cfg(feature = "messages")]
fn stand_in(
    node: &mut Node,
    pointer: &str,
    name: Option<String>,
    attempts: &mut Vec<(String, usize)>,
) -> bool {
    let index = match attempts.iter_mut().find(|(p, _)| p == pointer) {
        Some((_, n)) => {
            *n += 1;
            *n
        }
        None => {
            attempts.push((pointer.to_owned(), 0));
            0
        }
    };
    let value = match (name, index) {
        (Some(name), _) => Value::String(name),
        (None, 0) => Value::String(String::new()),
        (None, 1) => Value::Number("0".into()),
        (None, 2) => Value::Bool(false),
        (None, 3) => Value::Object(Vec::new()),
        (None, 4) => Value::Array(Vec::new()),
        (None, _) => return false,
    };
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    let key = unescape_segment(key);
    let Some(parent) = node_at_mut(node, parent) else {
        return false;
    };
    let offset = parent.offset;
    let Value::Object(members) = &mut parent.value else {
        return false;
    };
    let stand_in = Node { offset, value };
    match members.iter_mut().find(|(_, k, _)| *k == key) {
        Some((_, _, n)) if *n == stand_in => return false,
        Some((_, _, n)) => *n = stand_in,
        None => members.push((offset, key, stand_in)),
    }
    true
}

#[cfg(feature = "messages")]
fn sort_by_place(problems: &mut [Error]) {
    problems.sort_by_key(|p| (p.line, p.column));
}

/// Removes the object member at `pointer` (not array elements: removing one would shift
/// the pointers of those after it). Whether one was removed.
#[cfg(feature = "messages")]
fn remove_member(node: &mut Node, pointer: &str) -> bool {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    let key = unescape_segment(key);
    let Some(parent) = node_at_mut(node, parent) else {
        return false;
    };
    let Value::Object(members) = &mut parent.value else {
        return false;
    };
    let before = members.len();
    members.retain(|(_, k, _)| *k != key);
    members.len() < before
}

#[cfg(feature = "messages")]
fn unescape_segment(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

#[cfg(feature = "messages")]
fn node_at_mut<'n>(node: &'n mut Node, pointer: &str) -> Option<&'n mut Node> {
    let mut at = node;
    for segment in pointer.split('/').skip(1) {
        let key = unescape_segment(segment);
        at = match &mut at.value {
            Value::Object(members) => members
                .iter_mut()
                .find(|(_, k, _)| *k == key)
                .map(|(_, _, n)| n)?,
            Value::Array(items) => items.get_mut(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(at)
}

/// The line and column (1-based, in characters) of the value at `pointer` in `text`, or
/// of its nearest ancestor that is there (a missing key is placed at its object).
#[cfg(feature = "messages")]
pub fn locate(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let root = parse(text).ok()?;
    let mut at = &root;
    for segment in pointer.split('/').skip(1) {
        let key = unescape_segment(segment);
        let next = match &at.value {
            Value::Object(members) => members
                .iter()
                .find(|(_, k, _)| *k == key)
                .map(|(_, _, n)| n),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(n) => at = n,
            None => break,
        }
    }
    let e = Error::new(String::new()).at(at.offset).finish(text);
    Some((e.line, e.column))
}

/// Whether `text` is a JSON document this reader accepts (whatever its shape): the rule
/// the collector applies to a stored body before handing it out again, so what it reads
/// back passed the same reader as what it took in.
pub fn check(text: &str) -> Result<(), Error> {
    parse(text).map(|_| ()).map_err(|e| Error {
        syntax: true,
        ..e.finish(text)
    })
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
        #[cfg(not(feature = "messages"))]
        return {
            let _ = message;
            Err(Error::new(String::new()).at(self.i))
        };
        #[cfg(feature = "messages")]
        {
            let found = match self.s.get(self.i) {
                None => "the end of the text".to_owned(),
                Some(_) => {
                    let next = std::str::from_utf8(&self.s[self.i..])
                        .ok()
                        .and_then(|r| r.chars().next());
                    format!("`{}`", next.unwrap_or(' '))
                }
            };
            Err(Error::new(format!("{message}, found {found}")).at(self.i))
        }
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
            return Err(
                Error::new(text(|| format!("nested deeper than {MAX_DEPTH} levels"))).at(offset),
            );
        }
        let value = match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut members: Vec<(usize, String, Node)> = Vec::new();
                // Duplicate keys are refused. The collector reads bodies anyone can send, so
                // there each key is looked up in a hash set (linear in the keys: a body of
                // 100,000 keys costs no more than its length). The widget, which reads only
                // configs checked before and its own facts, keeps the scan: no hash table
                // in the wasm.
                #[cfg(feature = "messages")]
                let mut seen = std::collections::HashSet::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let key_at = self.i;
                        if self.s.get(self.i) == Some(&b'}') && !members.is_empty() {
                            return self.fail(
                                "remove the trailing comma before `}`: expected another key",
                            );
                        }
                        if self.s.get(self.i) != Some(&b'"') {
                            return self.fail("expected a key in double quotes");
                        }
                        let key = self.string()?;
                        #[cfg(feature = "messages")]
                        let repeated = {
                            #[cfg(test)]
                            KEY_LOOKUPS.with(|n| n.set(n.get() + 1));
                            !seen.insert(key.clone())
                        };
                        #[cfg(not(feature = "messages"))]
                        let repeated = members.iter().any(|(_, k, _)| *k == key);
                        if repeated {
                            return Err(
                                Error::new(text(|| format!("duplicate key `{key}`"))).at(key_at)
                            );
                        }
                        if !self.eat(b':') {
                            return self.fail("expected `:` after the key");
                        }
                        let v = self.value(depth + 1).map_err(|e| e.under(&key))?;
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
                            return self.fail(
                                "remove the trailing comma before `]`: expected another value",
                            );
                        }
                        let at = items.len();
                        items.push(
                            self.value(depth + 1)
                                .map_err(|e| e.under(&at.to_string()))?,
                        );
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
        let literal = String::from_utf8(self.s[start..self.i].to_vec()).unwrap_or_default();
        if !faithful_number(&literal) {
            self.i = start;
            return Err(Error::new(text(|| {
                format!(
                    "the number {literal} cannot be kept exactly (an integer beyond ±2^53, or out of the 64-bit floating-point range): send it as a string"
                )
            }))
            .at(start));
        }
        Ok(Value::Number(literal))
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
                            let escape = self.i - 2;
                            let mut c = self.hex4()?;
                            // A surrogate pair is one character; half of one is none, and
                            // stored it could not be read back by stricter readers.
                            if (0xD800..0xDC00).contains(&c) && self.s[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let low = self.hex4()?;
                                if (0xDC00..0xE000).contains(&low) {
                                    c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
                                }
                            }
                            let Some(ch) = char::from_u32(c) else {
                                self.i = escape;
                                return self.fail(
                                    "lone UTF-16 surrogate escape: a \\uD800-\\uDBFF escape must be followed by a \\uDC00-\\uDFFF one",
                                );
                            };
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
        Ok(String::from_utf8(out).unwrap_or_default())
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

/// A problem text, built only with the `messages` feature: the widget reads configs
/// that were checked already, and leaves every text to the checker.
#[inline(always)]
fn text(make: impl FnOnce() -> String) -> String {
    #[cfg(feature = "messages")]
    return make();
    #[cfg(not(feature = "messages"))]
    {
        let _ = make;
        String::new()
    }
}

/// Collects the problems found while reading a document.
pub struct Reader {
    problems: Vec<Error>,
    /// Unknown keys are problems (configs). Only read with `messages`: see `object`.
    #[cfg_attr(not(feature = "messages"), expect(dead_code))]
    strict: bool,
}

impl Reader {
    /// Notes a problem with the value at `node` (pointer `at`); reading goes on. The
    /// pointer and message are only built with the `messages` feature (see
    /// `config::Problems::add`): without it a reader still knows *that* reading failed.
    pub fn problem(&mut self, node: &Node, at: &str, message: impl FnOnce() -> String) {
        self.problem_at(node.offset, || (at.to_owned(), message()));
    }

    fn problem_at(&mut self, offset: usize, problem: impl FnOnce() -> (String, String)) {
        #[cfg(feature = "messages")]
        let (pointer, message) = problem();
        #[cfg(not(feature = "messages"))]
        let (pointer, message) = {
            let _ = problem;
            (String::new(), String::new())
        };
        self.problems.push(Error {
            pointer,
            offset: Some(offset),
            ..Error::new(message)
        });
    }

    /// Notes that `node` is not what was `expected`, and returns `None`.
    pub fn expected<T>(&mut self, node: &Node, at: &str, expected: &str) -> Option<T> {
        self.problem(node, at, || {
            let found = match &node.value {
                Value::Null => "null".to_owned(),
                Value::Bool(b) => format!("the boolean {b}"),
                Value::Number(n) => format!("the number {n}"),
                Value::String(s) => format!("the string \"{s}\""),
                Value::Array(_) => "an array".to_owned(),
                Value::Object(_) => "an object".to_owned(),
            };
            format!("expected {expected}, found {found}")
        });
        None
    }

    /// The members of an object whose keys are `known`; other keys are problems (with a
    /// "did you mean") when reading strictly.
    pub fn object<'n>(&mut self, node: &'n Node, at: &str, known: &[&str]) -> Option<Obj<'n>> {
        let obj = self.map(node, at)?;
        // Unknown keys are looked for only with the `messages` feature: the widget reads
        // configs the collector or the checker has already read strictly (~0.3 KB brotli).
        #[cfg(not(feature = "messages"))]
        let _ = known;
        #[cfg(feature = "messages")]
        if self.strict {
            let members = obj.members;
            for (key_at, key, _) in members {
                if !known.contains(&key.as_str()) {
                    self.problem_at(*key_at, || {
                        let hint = match did_you_mean(key, known.iter().copied()) {
                            Some(k) => format!(" (did you mean \"{k}\"?)"),
                            None => {
                                let names: Vec<String> =
                                    known.iter().map(|k| format!("\"{k}\"")).collect();
                                format!("; known keys here: {}", names.join(", "))
                            }
                        };
                        (child(at, key), format!("unknown key \"{key}\"{hint}"))
                    });
                }
            }
        }
        Some(obj)
    }

    /// An object with any keys (a map such as field values or locale texts).
    pub fn map<'n>(&mut self, node: &'n Node, at: &str) -> Option<Obj<'n>> {
        let Value::Object(members) = &node.value else {
            return self.expected(node, at, "an object {...}");
        };
        Some(Obj {
            node,
            members,
            at: at.to_owned(),
        })
    }

    /// One of a fixed set of names (the JSON form of a unit enum).
    pub fn one_of<T: Copy>(&mut self, node: &Node, at: &str, names: &[(&str, T)]) -> Option<T> {
        let list = || {
            let quoted: Vec<String> = names.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            quoted.join(", ")
        };
        let Value::String(s) = &node.value else {
            return self.expected(node, at, &text(|| format!("one of {}", list())));
        };
        if let Some((_, v)) = names.iter().find(|(n, _)| n == s) {
            return Some(*v);
        }
        self.problem(node, at, || {
            let hint = did_you_mean(s, names.iter().map(|(n, _)| *n))
                .map_or(String::new(), |n| format!(" (did you mean \"{n}\"?)"));
            format!("unknown value \"{s}\"{hint}; expected one of {}", list())
        });
        None
    }
}

/// The pointer of `key` inside `at`. Pointers only ever appear in problem texts, so
/// without the `messages` feature (the widget) none is built.
#[inline(never)]
pub fn child(at: &str, key: &str) -> String {
    #[cfg(feature = "messages")]
    return format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
    #[cfg(not(feature = "messages"))]
    {
        let _ = (at, key);
        String::new()
    }
}

/// The pointer of element `i` inside `at` (see [`child`]).
#[inline(never)]
fn element(at: &str, i: usize) -> String {
    #[cfg(feature = "messages")]
    return format!("{at}/{i}");
    #[cfg(not(feature = "messages"))]
    {
        let _ = (at, i);
        String::new()
    }
}

/// An object being read.
pub struct Obj<'n> {
    node: &'n Node,
    members: &'n [(usize, String, Node)],
    at: String,
}

impl<'n> Obj<'n> {
    /// The member `key` and its pointer; `Err` when it is missing and `required` (the
    /// problem is noted), `Ok(None)` when it is missing or null otherwise. Not generic and
    /// not inlined: every field of every config struct goes through here, and one copy of
    /// the lookup keeps the widget's reader small.
    #[inline(never)]
    fn member(
        &self,
        r: &mut Reader,
        key: &str,
        required: bool,
    ) -> Result<Option<(&'n Node, String)>, ()> {
        let node = self
            .members
            .iter()
            .find(|(_, k, _)| k == key)
            .map(|(_, _, n)| n);
        match node {
            None if required => {
                r.problem(self.node, &self.at, || format!("missing key \"{key}\""));
                Err(())
            }
            None
            | Some(Node {
                value: Value::Null, ..
            }) if !required => Ok(None),
            Some(node) => Ok(Some((node, child(&self.at, key)))),
            None => Ok(None),
        }
    }

    /// A key that must be there.
    #[inline(never)]
    pub fn req<T: FromJson>(&self, r: &mut Reader, key: &str) -> Option<T> {
        let (node, at) = self.member(r, key, true).ok()??;
        T::read(r, node, &at)
    }

    /// A key that may be missing (or null): `Some(None)` then; `None` if it is wrong.
    #[inline(never)]
    pub fn opt<T: FromJson>(&self, r: &mut Reader, key: &str) -> Option<Option<T>> {
        match self.member(r, key, false).ok()? {
            None => Some(None),
            Some((node, at)) => T::read(r, node, &at).map(Some),
        }
    }

    /// A key whose value is kept only when it reads: one of the wrong shape counts as
    /// missing, without a problem (the lead payload's consent and attribution records,
    /// which an older widget or a crafted body may shape otherwise: the lead is kept, and
    /// nothing is concluded from them).
    #[inline(never)]
    pub fn lenient<T: FromJson>(&self, r: &mut Reader, key: &str) -> Option<Option<T>> {
        let before = r.problems.len();
        let value = self.opt::<T>(r, key).flatten();
        r.problems.truncate(before);
        Some(value)
    }

    /// A key that may be missing, then `T::default()`.
    #[inline(never)]
    pub fn or_default<T: FromJson + Default>(&self, r: &mut Reader, key: &str) -> Option<T> {
        self.opt(r, key).map(Option::unwrap_or_default)
    }

    /// Every member, for maps.
    pub fn members(&self) -> impl Iterator<Item = (&'n str, &'n Node, String)> + '_ {
        self.members
            .iter()
            .map(|(_, k, n)| (k.as_str(), n, child(&self.at, k)))
    }
}

/// Implements [`FromJson`] for a struct read from an object: each field with how it is
/// read (`req`uired, `opt`ional, `or_default`) and its JSON key. Every field is read before
/// any failure is returned, so one pass reports every problem of the object.
macro_rules! from_json_struct {
    ($ty:ident { $($field:ident : $how:ident $key:literal),* $(,)? }) => {
        #[cfg(feature = "schema")]
        impl $crate::json::JsonKeys for $ty {
            const KEYS: &'static [&'static str] = &[$($key),*];
        }
        impl $crate::json::FromJson for $ty {
            fn read(
                r: &mut $crate::json::Reader,
                node: &$crate::json::Node,
                at: &str,
            ) -> Option<Self> {
                let o = r.object(node, at, &[$($key),*])?;
                $(let $field = o.$how(r, $key);)*
                // One match over all fields rather than a `?` per field: each `?` would
                // get its own clean-up path dropping every other field read (quadratic
                // code; ~10 KB of the widget's wasm).
                match ($($field,)*) {
                    ($(Some($field),)*) => Some($ty { $($field),* }),
                    _ => None,
                }
            }
        }
    };
    // Fields only the checker and the collector read (the `messages` feature): in the
    // widget those fields do not exist, so neither their reading nor their drop and clone
    // code costs it bytes; the loader reads them from the config text itself.
    ($ty:ident { $($field:ident : $how:ident $key:literal),* $(,)? }
        checked { $($cfield:ident : $chow:ident $ckey:literal),* $(,)? }) => {
        #[cfg(feature = "schema")]
        impl $crate::json::JsonKeys for $ty {
            const KEYS: &'static [&'static str] = &[$($key,)* $($ckey),*];
        }
        impl $crate::json::FromJson for $ty {
            fn read(
                r: &mut $crate::json::Reader,
                node: &$crate::json::Node,
                at: &str,
            ) -> Option<Self> {
                let o = r.object(node, at, &[$($key,)* $($ckey),*])?;
                $(let $field = o.$how(r, $key);)*
                #[cfg(feature = "messages")]
                return {
                    $(let $cfield = o.$chow(r, $ckey);)*
                    match ($($field,)* $($cfield,)*) {
                        ($(Some($field),)* $(Some($cfield),)*) => Some($ty { $($field,)* $($cfield),* }),
                        _ => None,
                    }
                };
                #[cfg(not(feature = "messages"))]
                return match ($($field,)*) {
                    ($(Some($field),)*) => Some($ty { $($field),* }),
                    _ => None,
                };
            }
        }
    };
}
pub(crate) use from_json_struct;

/// The keys a type's reader knows (`from_json_struct!`), so that a test can hold them
/// against the JSON Schema's properties (`leadmagnet schema`).
#[cfg(feature = "schema")]
pub trait JsonKeys {
    const KEYS: &'static [&'static str];
}

/// A type that reads itself from a JSON tree, noting problems in the reader.
pub trait FromJson: Sized {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self>;
}

impl FromJson for String {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        match &node.value {
            Value::String(s) => Some(s.clone()),
            _ => r.expected(node, at, "a string"),
        }
    }
}

impl FromJson for bool {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => r.expected(node, at, "true or false"),
        }
    }
}

impl FromJson for f64 {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        match &node.value {
            Value::Number(n) => parse_decimal(n).or_else(|| r.expected(node, at, "a number")),
            _ => r.expected(node, at, "a number"),
        }
    }
}

fn whole(r: &mut Reader, node: &Node, at: &str, max: u64) -> Option<u64> {
    match &node.value {
        Value::Number(n) => match n.parse::<u64>() {
            Ok(v) if v <= max => Some(v),
            _ => r.expected(
                node,
                at,
                &text(|| format!("a whole number from 0 to {max}")),
            ),
        },
        _ => r.expected(
            node,
            at,
            &text(|| format!("a whole number from 0 to {max}")),
        ),
    }
}

impl FromJson for u32 {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        whole(r, node, at, u64::from(u32::MAX)).map(|v| v as u32)
    }
}

impl FromJson for u8 {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        whole(r, node, at, 255).map(|v| v as u8)
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        let Value::Array(items) = &node.value else {
            return r.expected(node, at, "an array [...]");
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        // Every element is read, so that all problems are reported at once.
        for (i, item) in items.iter().enumerate() {
            match T::read(r, item, &element(at, i)) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

impl<T: FromJson> FromJson for Box<T> {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        T::read(r, node, at).map(Box::new)
    }
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
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = old;
        }
    }
    row[b.len()]
}

/// Writes JSON text, compact or indented by two spaces.
pub struct Writer {
    out: String,
    pretty: bool,
    depth: usize,
    /// Whether the current object or array has an entry yet.
    has_entry: Vec<bool>,
}

impl Writer {
    pub fn new(pretty: bool) -> Writer {
        Writer {
            out: String::new(),
            pretty,
            depth: 0,
            has_entry: Vec::new(),
        }
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn newline(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("  ");
            }
        }
    }

    fn open(&mut self, bracket: char) {
        self.out.push(bracket);
        self.depth += 1;
        self.has_entry.push(false);
    }

    fn close(&mut self, bracket: char) {
        self.depth -= 1;
        if self.has_entry.pop() == Some(true) {
            self.newline();
        }
        self.out.push(bracket);
    }

    fn entry(&mut self) {
        if let Some(has) = self.has_entry.last_mut() {
            if *has {
                self.out.push(',');
            }
            *has = true;
        }
        self.newline();
    }

    pub fn begin_object(&mut self) {
        self.open('{');
    }

    pub fn end_object(&mut self) {
        self.close('}');
    }

    pub fn begin_array(&mut self) {
        self.open('[');
    }

    pub fn end_array(&mut self) {
        self.close(']');
    }

    /// Starts an array element.
    pub fn element(&mut self) {
        self.entry();
    }

    /// Starts an object member: its key; the value is written next.
    pub fn key(&mut self, key: &str) {
        self.entry();
        self.string(key);
        self.out.push(':');
        if self.pretty {
            self.out.push(' ');
        }
    }

    /// A member whose value is `value`.
    pub fn field<T: ToJson + ?Sized>(&mut self, key: &str, value: &T) {
        self.key(key);
        value.to_json(self);
    }

    /// A member written only when `value` is there.
    pub fn field_opt<T: ToJson>(&mut self, key: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.field(key, v);
        }
    }

    pub fn string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '\u{8}' => self.out.push_str("\\b"),
                '\u{c}' => self.out.push_str("\\f"),
                c if (c as u32) < 0x20 => self.out.push_str(&format!("\\u{:04x}", c as u32)),
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    pub fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }
}

/// A type that writes itself as JSON.
pub trait ToJson {
    fn to_json(&self, w: &mut Writer);

    /// Compact JSON text.
    fn to_json_string(&self) -> String {
        let mut w = Writer::new(false);
        self.to_json(&mut w);
        w.finish()
    }

    /// JSON text indented by two spaces, as the CLI prints it.
    fn to_json_pretty(&self) -> String {
        let mut w = Writer::new(true);
        self.to_json(&mut w);
        w.finish()
    }
}

impl ToJson for str {
    fn to_json(&self, w: &mut Writer) {
        w.string(self);
    }
}

impl ToJson for String {
    fn to_json(&self, w: &mut Writer) {
        w.string(self);
    }
}

impl ToJson for bool {
    fn to_json(&self, w: &mut Writer) {
        w.raw(if *self { "true" } else { "false" });
    }
}

impl ToJson for i64 {
    fn to_json(&self, w: &mut Writer) {
        w.raw(&self.to_string());
    }
}

impl ToJson for u8 {
    fn to_json(&self, w: &mut Writer) {
        w.raw(&self.to_string());
    }
}

impl ToJson for usize {
    fn to_json(&self, w: &mut Writer) {
        w.raw(&self.to_string());
    }
}

impl ToJson for u32 {
    fn to_json(&self, w: &mut Writer) {
        w.raw(&self.to_string());
    }
}

/// Numbers are written with up to six decimals (whole numbers without any): the numbers
/// written (scores, points) never need more, and this avoids float formatting tables.
impl ToJson for f64 {
    fn to_json(&self, w: &mut Writer) {
        if !self.is_finite() {
            w.raw("null");
            return;
        }
        let sign = if *self < 0.0 { "-" } else { "" };
        let scaled = libm::round(self.abs() * 1e6) as u64;
        let (int, frac) = (scaled / 1_000_000, scaled % 1_000_000);
        let text = if frac == 0 {
            format!("{sign}{int}")
        } else {
            let digits = format!("{frac:06}");
            format!("{sign}{int}.{}", digits.trim_end_matches('0'))
        };
        w.raw(if text == "-0" { "0" } else { &text });
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self, w: &mut Writer) {
        match self {
            Some(v) => v.to_json(w),
            None => w.raw("null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn to_json(&self, w: &mut Writer) {
        w.begin_array();
        for item in self {
            w.element();
            item.to_json(w);
        }
        w.end_array();
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self, w: &mut Writer) {
        self.as_slice().to_json(w);
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn to_json(&self, w: &mut Writer) {
        (**self).to_json(w);
    }
}

/// Whether a JSON number literal means the same number to every reader: finite as a
/// 64-bit float (`1e999` is not), not a non-zero that underflows to 0 (`1e-999`), and an
/// integer literal within ±2^53 (JavaScript, and this reader, keep integers exactly only
/// that far). What is not faithful is refused, never rounded silently.
pub fn faithful_number(literal: &str) -> bool {
    let body = literal.strip_prefix('-').unwrap_or(literal);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = || int.bytes().chain(frac.bytes());
    // Zero is zero at any exponent.
    let Some(first) = digits().position(|d| d != b'0') else {
        return true;
    };
    let exp: i64 = match exp {
        None => 0,
        Some(e) => {
            let negative = e.starts_with('-');
            let e = e.trim_start_matches(['+', '-']).trim_start_matches('0');
            // No finite non-zero double needs a five-digit exponent.
            if e.len() > 4 {
                return false;
            }
            let e: i64 = e.parse().unwrap_or(0);
            if negative {
                -e
            } else {
                e
            }
        }
    };
    // The decimal exponent of the first significant digit: 1.2e3 → 3, 0.05 → -2.
    let magnitude = int.len() as i64 - first as i64 - 1 + exp;
    let significant: Vec<u8> = digits().skip(first).collect();
    let significant = std::str::from_utf8(&significant)
        .unwrap_or("")
        .trim_end_matches('0');
    // Compared digit by digit with the largest double (1.7976931348623157e308) and with
    // half the smallest (2.4703282292062327e-324, below which a number reads as 0).
    if !(-324..=308).contains(&magnitude)
        || (magnitude == 308 && significant > "17976931348623157")
        || (magnitude == -324 && significant <= "24703282292062327")
    {
        return false;
    }
    let integer = exp == 0 && !mantissa.contains('.') && !body.contains(['e', 'E']);
    !integer || int.parse::<u64>().is_ok_and(|n| n <= 1 << 53)
}

/// Decimal text (JSON number syntax) to f64 without the standard parser's tables
/// (≈10 KB of wasm); exact for the short decimals configs and forms hold, within a few
/// ulps otherwise. `None` for anything that is not a plain decimal number.
pub fn parse_decimal(n: &str) -> Option<f64> {
    let n = n.trim();
    let body = n.strip_prefix('-').unwrap_or(n);
    let ok = !body.is_empty()
        && body.chars().next().is_some_and(|c| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Doc {
        name: String,
        tags: Vec<String>,
        size: Option<u32>,
        kind: Kind,
        extra: crate::map::SortedMap<f64>,
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Kind {
        Small,
        LargeOne,
    }

    impl FromJson for Doc {
        fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
            let o = r.object(node, at, &["name", "tags", "size", "kind", "extra"])?;
            let name = o.req(r, "name");
            let tags = o.or_default(r, "tags");
            let size = o.opt(r, "size");
            let kind = o.req::<KindJson>(r, "kind");
            let extra = o.or_default(r, "extra");
            Some(Doc {
                name: name?,
                tags: tags?,
                size: size?,
                kind: kind?.0,
                extra: extra?,
            })
        }
    }

    struct KindJson(Kind);

    impl FromJson for KindJson {
        fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
            r.one_of(
                node,
                at,
                &[("small", Kind::Small), ("large_one", Kind::LargeOne)],
            )
            .map(KindJson)
        }
    }

    fn errs(text: &str) -> Vec<String> {
        match read::<Doc>(text, true) {
            Ok(doc) => panic!("expected problems, read {doc:?}"),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn reads_documents() {
        let doc: Doc = read(
            r#"{"name": "caf\u00e9 \"x\" \ud83d\ude00\n", "tags": ["a","b"], "size": null, "kind": "large_one",
               "extra": {"a": 1.5, "b": -2e3, "c": 0.1, "d": 12}}"#,
            true,
        )
        .expect("valid");
        assert_eq!(doc.name, "café \"x\" 😀\n");
        assert_eq!(doc.tags, ["a", "b"]);
        assert_eq!(doc.size, None);
        assert_eq!(doc.kind, Kind::LargeOne);
        assert_eq!(doc.extra.get("a"), Some(&1.5));
        assert_eq!(doc.extra.get("b"), Some(&-2000.0));
        assert_eq!(doc.extra.get("c"), Some(&0.1));
        assert_eq!(doc.extra.get("d"), Some(&12.0));
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        assert_eq!(
            errs("{\n  \"name\": \"x\"\n  \"kind\": 1}"),
            ["/ (line 3, column 3): expected `,` or `}`, found `\"`"]
        );
        assert_eq!(
            errs("{\"name\": tru}"),
            ["/name (line 1, column 10): expected a value, found `t`"]
        );
        assert_eq!(
            errs("{\"name\": \"x"),
            ["/name (line 1, column 10): unterminated string: add the closing `\"`"]
        );
        assert_eq!(
            errs("{} x"),
            ["/ (line 1, column 4): unexpected text after the end of the JSON document"]
        );
        assert_eq!(
            errs("[01]"),
            ["/0 (line 1, column 2): expected a number such as 42 or -1.5, found `0`"]
        );
        assert_eq!(
            errs(r#"{"a": 1, "a": 2}"#),
            ["/ (line 1, column 10): duplicate key `a`"]
        );
        assert_eq!(
            errs(""),
            ["/ (line 1, column 1): expected a value, found the end of the text"]
        );
        assert_eq!(errs("{\"a\": [1,],}"), ["/a (line 1, column 10): remove the trailing comma before `]`: expected another value, found `]`"]);
        assert!(errs(&"[".repeat(100))[0].contains("nested deeper than 64 levels"));
    }

    /// What this reader accepts, every other reader (serde_json, a browser's JSON.parse,
    /// PostgreSQL's jsonb) reads as the same value: what it cannot promise is refused at
    /// its pointer, never rounded or replaced.
    #[test]
    fn values_other_readers_would_change_are_refused_at_their_pointer() {
        let long = format!(r#"{{"a": {}}}"#, "9".repeat(400));
        for (text, pointer) in [
            (r#"{"a": 1e999}"#, "/a"),
            (r#"{"a": -1e999}"#, "/a"),
            (r#"{"a": 1e-999}"#, "/a"),
            (r#"{"a": 2e308}"#, "/a"),
            (r#"{"a": 1.7976931348623158e308}"#, "/a"),
            (r#"{"a": 1e-324}"#, "/a"),
            (r#"{"a": 2e-324}"#, "/a"),
            (r#"{"a": 1e99999999999}"#, "/a"),
            (r#"{"a": 1e-99999999999}"#, "/a"),
            (r#"{"a": [1, 9007199254740993]}"#, "/a/1"),
            (r#"{"a": {"b": -9007199254740993}}"#, "/a/b"),
            (r#"{"a": 123456789012345678901234567890}"#, "/a"),
            (long.as_str(), "/a"),
            (r#"{"a": "\ud800"}"#, "/a"),
            (r#"{"a": "x\udfff y"}"#, "/a"),
            (r#"{"a": ["\ud800\u0041"]}"#, "/a/0"),
            (r#"{"a": "\udc00\ud800"}"#, "/a"),
            (r#"{"a~b/c": "\ud83d"}"#, "/a~0b~1c"),
            (r#"{"\ud800": 1}"#, ""),
        ] {
            let problems = read::<Doc>(text, true).err().unwrap_or_default();
            assert_eq!(problems.len(), 1, "{text}: {problems:?}");
            assert_eq!(problems[0].pointer, pointer, "{text}");
            assert!(problems[0].syntax, "{text}");
        }
        for fine in [
            "9007199254740992",
            "-9007199254740992",
            "0",
            "-0",
            "0e99999999999",
            "1.5e300",
            "1.7976931348623157e308",
            "0.17976931348623157e309",
            "4.9e-323",
            "5e-324",
            "4.9406564584124654e-324",
            // A number with a fraction or exponent is a double to every reader (serde_json,
            // JSON.parse, Python), rounded the same way by all: not an integer to keep.
            "9007199254740993.0",
            "9.007199254740993e15",
            "1.8e19",
            "12345678901234567890.5",
            "1e-300",
            "0.000001",
        ] {
            assert!(faithful_number(fine), "{fine}");
        }
        let doc: Doc = read(
            r#"{"name": "\ud83d\ude00\udbff\udfff", "kind": "small"}"#,
            true,
        )
        .expect("surrogate pairs are characters");
        assert_eq!(doc.name, "😀\u{10ffff}");
    }

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let text = "{\"name\": 5, \"kind\": \"medium\", \"sise\": 3,\n \"tags\": [\"a\", 7, null], \"extra\": {\"a/b\": true}, \"colour\": 1}";
        assert_eq!(
            errs(text),
            [
                "/name (line 1, column 10): expected a string, found the number 5",
                "/kind (line 1, column 21): unknown value \"medium\"; expected one of \"small\", \"large_one\"",
                "/sise (line 1, column 31): unknown key \"sise\" (did you mean \"size\"?)",
                "/tags/1 (line 2, column 16): expected a string, found the number 7",
                "/tags/2 (line 2, column 19): expected a string, found null",
                "/extra/a~1b (line 2, column 43): expected a number, found the boolean true",
                "/colour (line 2, column 50): unknown key \"colour\"; known keys here: \"name\", \"tags\", \"size\", \"kind\", \"extra\"",
            ]
        );
        assert_eq!(
            errs(r#"{"kind": "small"}"#),
            ["/ (line 1, column 1): missing key \"name\""]
        );
        assert_eq!(errs(r#"{"name": "x", "kind": "small", "size": -1}"#), ["/size (line 1, column 40): expected a whole number from 0 to 4294967295, found the number -1"]);
        assert_eq!(errs(r#"{"name": "x", "kind": 5}"#), ["/kind (line 1, column 23): expected one of \"small\", \"large_one\", found the number 5"]);
        assert_eq!(
            errs("[]"),
            ["/ (line 1, column 1): expected an object {...}, found an array"]
        );
    }

    #[test]
    fn lenient_reading_skips_unknown_keys() {
        let doc: Doc = read(
            r#"{"name": "x", "kind": "small", "future": {"anything": 1}}"#,
            false,
        )
        .expect("lenient");
        assert_eq!(doc.name, "x");
    }

    #[test]
    fn suggestions_need_a_close_name() {
        assert_eq!(
            did_you_mean("rolle", ["role", "company", "email"]),
            Some("role")
        );
        assert_eq!(
            did_you_mean("emial", ["role", "company", "email"]),
            Some("email")
        );
        assert_eq!(
            did_you_mean("contains", ["contains_any", "equals"]),
            Some("contains_any")
        );
        assert_eq!(did_you_mean("b", ["A", "B"]), Some("B"));
        assert_eq!(did_you_mean("xyz", ["role", "company", "email"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn writes_compact_and_pretty_like_serde_json() {
        struct Sample;
        impl ToJson for Sample {
            fn to_json(&self, w: &mut Writer) {
                w.begin_object();
                w.field("empty", &Vec::<i64>::new());
                w.field("n", &[1.5f64, -0.25, 3.0, 9.99, 1e-9][..]);
                w.key("nested");
                w.begin_object();
                w.end_object();
                w.field("none", &None::<i64>);
                w.field_opt("skipped", &None::<i64>);
                w.field("text", "a \"q\" \\ \n \u{1} ü");
                w.end_object();
            }
        }
        let value = serde_json::json!({
            "text": "a \"q\" \\ \n \u{1} ü", "n": [1.5, -0.25, 3, 9.99, 0], "empty": [], "none": null, "nested": {}
        });
        assert_eq!(
            Sample.to_json_string(),
            serde_json::to_string(&value).expect("json")
        );
        assert_eq!(
            Sample.to_json_pretty(),
            serde_json::to_string_pretty(&value).expect("json")
        );
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
            errs("{\"name\": \"Grüße\", \"kind\": 5}")[0]
                .split(':')
                .next(),
            Some("/kind (line 1, column 27)")
        );
    }
}

/// The reader against serde_json on generated documents, and its work on adversarial ones.
#[cfg(all(test, feature = "messages"))]
mod differential {
    use super::*;
    use serde_json::Value as Serde;

    /// xorshift64*: deterministic, so a failure names a seed that reproduces it.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    const CHARS: &[&str] = &[
        "a",
        "Z",
        "0",
        " ",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\n",
        "\\r",
        "\\t",
        "\\u0000",
        "\\u00e9",
        "é",
        "€",
        "😀",
        "\\ud83d\\ude00",
        "\\uD834\\uDD1E",
        "ß",
        "\u{7f}",
        "</",
    ];

    fn chars(rng: &mut Rng, out: &mut String) {
        for _ in 0..rng.below(8) {
            out.push_str(CHARS[rng.below(CHARS.len() as u64) as usize]);
        }
    }

    fn string(rng: &mut Rng, out: &mut String) {
        out.push('"');
        chars(rng, out);
        out.push('"');
    }

    fn ws(rng: &mut Rng, out: &mut String) {
        out.push_str([" ", "", "\n", "\t", "", "\r\n  "][rng.below(6) as usize]);
    }

    /// A valid JSON value: unique keys, numbers a double keeps exactly, depth ≤ 6.
    fn value(rng: &mut Rng, depth: u32, out: &mut String) {
        match rng.below(if depth >= 6 { 5 } else { 8 }) {
            0 => out.push_str("null"),
            1 => out.push_str(if rng.below(2) == 0 { "true" } else { "false" }),
            2 => {
                let n = rng.below(1 << 53) as i64 - (1 << 52);
                out.push_str(&n.to_string());
            }
            3 => {
                let mantissa = rng.below(1_000_000) as f64 / 1000.0;
                let exp = rng.below(40) as i32 - 20;
                out.push_str(&format!("{mantissa}e{exp}"));
            }
            4 => string(rng, out),
            5 | 6 => {
                out.push('{');
                for i in 0..rng.below(5) {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(rng, out);
                    // Unique by their prefix; the rest exercises key escapes.
                    out.push_str(&format!("\"k{i}"));
                    chars(rng, out);
                    out.push('"');
                    ws(rng, out);
                    out.push(':');
                    ws(rng, out);
                    value(rng, depth + 1, out);
                }
                out.push('}');
            }
            _ => {
                out.push('[');
                for i in 0..rng.below(5) {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(rng, out);
                    value(rng, depth + 1, out);
                }
                out.push(']');
            }
        }
    }

    /// Our tree as serde_json's value, to compare the two readings.
    fn as_serde(node: &Node) -> Serde {
        match &node.value {
            Value::Null => Serde::Null,
            Value::Bool(b) => Serde::Bool(*b),
            Value::Number(n) => serde_json::from_str(n).expect("a number serde reads"),
            Value::String(s) => Serde::String(s.clone()),
            Value::Array(items) => Serde::Array(items.iter().map(as_serde).collect()),
            Value::Object(members) => Serde::Object(
                members
                    .iter()
                    .map(|(_, k, v)| (k.clone(), as_serde(v)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn valid_documents_read_the_same_and_invalid_ones_are_refused_by_both() {
        let mut rng = Rng(0x5eed_1ead_0000_0001);
        let (mut valid, mut refused_by_both, mut ours_stricter) = (0, 0, 0);
        for case in 0..4000 {
            let mut doc = String::new();
            value(&mut rng, 0, &mut doc);
            let ours = parse(&doc).unwrap_or_else(|e| panic!("case {case}: {doc}: {e:?}"));
            let theirs: Serde = serde_json::from_str(&doc).expect("serde reads it");
            assert_eq!(as_serde(&ours), theirs, "case {case}: {doc}");
            valid += 1;

            // One byte changed, inserted or removed: whatever serde refuses, we refuse.
            let mut bytes = doc.clone().into_bytes();
            let at = rng.below(bytes.len() as u64 + 1) as usize;
            let byte = b"{}[]\",:\\0e-.tfn \x01"[rng.below(17) as usize];
            match rng.below(3) {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.push(byte),
            }
            let Ok(mutated) = String::from_utf8(bytes) else {
                continue;
            };
            match (parse(&mutated), serde_json::from_str::<Serde>(&mutated)) {
                (Ok(ours), Ok(theirs)) => {
                    assert_eq!(as_serde(&ours), theirs, "case {case}: {mutated}")
                }
                (Err(_), Err(_)) => refused_by_both += 1,
                (Ok(_), Err(e)) => {
                    panic!("case {case}: we read what serde refuses ({e}): {mutated}")
                }
                // Our documented extra refusals: duplicate keys (serde keeps the last),
                // integers beyond ±2^53, numbers out of range (read as infinity elsewhere).
                (Err(e), Ok(_)) => {
                    let e = e.finish(&mutated).message;
                    assert!(
                        e.contains("duplicate key") || e.contains("cannot be kept exactly"),
                        "case {case}: we refuse what serde reads ({e}): {mutated}"
                    );
                    ours_stricter += 1;
                }
            }
        }
        assert_eq!(valid, 4000);
        assert!(
            refused_by_both > 1000,
            "{refused_by_both} mutations refused by both"
        );
        eprintln!(
            "{valid} valid, {refused_by_both} refused by both, {ours_stricter} refused only by us"
        );
    }

    #[test]
    fn adversarial_documents_cost_work_linear_in_their_size() {
        // 100,000 keys: the duplicate check does one lookup per key, not one per pair
        // (5 · 10^9 comparisons before).
        let n = 100_000;
        let mut doc = String::from("{");
        for i in 0..n {
            if i > 0 {
                doc.push(',');
            }
            doc.push_str(&format!("\"k{i}\":{i}"));
        }
        doc.push('}');
        KEY_LOOKUPS.with(|c| c.set(0));
        assert!(parse(&doc).is_ok());
        assert_eq!(KEY_LOOKUPS.with(|c| c.get()), n);
        // The same key twice, far apart: found, at the second one.
        let twice = format!("{{\"x\":1,{},\"x\":2}}", &doc[1..doc.len() - 1]);
        let e = parse(&twice).expect_err("duplicate").finish(&twice);
        assert_eq!(
            (e.message.as_str(), e.column),
            ("duplicate key `x`", twice.len() - 5)
        );
        // A 1 MB string and deep nesting: one pass, and a clear refusal past 64 levels.
        let long = format!("\"{}\"", "é".repeat(500_000));
        assert!(
            matches!(parse(&long).map(|n| n.value), Ok(Value::String(s)) if s.len() == 1_000_000)
        );
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse(&deep).expect_err("too deep").finish(&deep);
        assert!(
            e.message.contains("nested deeper than 64 levels"),
            "{}",
            e.message
        );
    }
}
