//! Config text: a plain string, or a map of locale → string with fallback.

use crate::json::{FromJson, Node, Reader, Value};
use crate::map::SortedMap;
use serde::{Serialize, Serializer};

/// Text a marketer writes: `"Vorname"` or `{"de": "Vorname", "en": "First name"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Plain(String),
    Localized(SortedMap<String>),
}

impl Text {
    /// The text for `locale` (a BCP 47 tag such as `de-AT`): the exact tag, then its
    /// language (`de`), then English, then the first entry, so a visitor never sees nothing.
    pub fn resolve(&self, locale: &str) -> &str {
        match self {
            Text::Plain(s) => s,
            Text::Localized(map) => {
                let lang = locale.split(['-', '_']).next().unwrap_or(locale);
                map.get(locale)
                    .or_else(|| map.get(lang))
                    .or_else(|| map.get("en"))
                    .or_else(|| map.values().next())
                    .map(String::as_str)
                    .unwrap_or("")
            }
        }
    }

    /// Every variant, for checks that must hold in all locales.
    pub fn variants(&self) -> Vec<(&str, &str)> {
        match self {
            Text::Plain(s) => vec![("", s.as_str())],
            Text::Localized(map) => map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::Plain(s.to_owned())
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Text::Plain(s) => serializer.serialize_str(s),
            Text::Localized(map) => map.serialize(serializer),
        }
    }
}

impl FromJson for Text {
    fn read(r: &mut Reader, node: &Node, at: &str) -> Option<Self> {
        if let Value::String(s) = &node.value {
            return Some(Text::Plain(s.clone()));
        }
        if !matches!(node.value, Value::Object(_)) {
            return r.expected(
                node,
                at,
                "a text, or an object of locale → text such as {\"de\": \"…\", \"en\": \"…\"}",
            );
        }
        let map: SortedMap<String> = FromJson::read(r, node, at)?;
        if map.is_empty() {
            r.problem(node, at, || {
                "empty text: give at least one locale, e.g. {\"en\": \"…\"}".into()
            });
            return None;
        }
        Some(Text::Localized(map))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Text {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A text, or a map of locale → text such as {\"de\": \"…\", \"en\": \"…\"}",
            "anyOf": [
                { "type": "string" },
                { "type": "object", "additionalProperties": { "type": "string" }, "minProperties": 1 }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn localized() -> Text {
        crate::json::read(
            r#"{"de": "Vorname", "en": "First name", "fr": "Prénom"}"#,
            true,
        )
        .expect("valid text")
    }

    #[test]
    fn resolves_exact_then_language_then_english() {
        let t = localized();
        assert_eq!(t.resolve("de"), "Vorname");
        assert_eq!(t.resolve("de-AT"), "Vorname");
        assert_eq!(t.resolve("fr_CA"), "Prénom");
        assert_eq!(t.resolve("es"), "First name");
    }

    #[test]
    fn falls_back_to_first_entry_without_english() {
        let t: Text =
            crate::json::read(r#"{"nl": "Voornaam", "sv": "Förnamn"}"#, true).expect("ok");
        assert_eq!(t.resolve("de"), "Voornaam");
    }

    #[test]
    fn plain_text_is_the_same_in_every_locale() {
        let t = Text::from("Vorname");
        assert_eq!(t.resolve("en"), "Vorname");
        assert_eq!(serde_json::to_string(&t).expect("ser"), "\"Vorname\"");
    }

    #[test]
    fn wrong_shape_says_what_was_expected() {
        let err = crate::json::read::<Text>("42", true).expect_err("number is not text");
        assert!(
            err[0]
                .to_string()
                .contains("a text, or an object of locale"),
            "{err:?}"
        );
        let err = crate::json::read::<Text>("{}", true).expect_err("empty map");
        assert!(
            err[0].to_string().contains("at least one locale"),
            "{err:?}"
        );
    }
}
