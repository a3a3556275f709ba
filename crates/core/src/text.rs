//! Config text: a plain string, or a map of locale → string with fallback.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// Text a marketer writes: `"Vorname"` or `{"de": "Vorname", "en": "First name"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Plain(String),
    Localized(BTreeMap<String, String>),
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

// Hand-written rather than `#[serde(untagged)]`: untagged enums only say "did not match
// any variant", while a marketer needs to read what was expected.
impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, or an object of locale → string such as {\"de\": \"…\", \"en\": \"…\"}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text::Plain(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text::Plain(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.insert(k, v);
                }
                if out.is_empty() {
                    return Err(de::Error::custom(
                        "empty text: give at least one locale, e.g. {\"en\": \"…\"}",
                    ));
                }
                Ok(Text::Localized(out))
            }
        }
        deserializer.deserialize_any(TextVisitor)
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
        crate::json::from_str(r#"{"de": "Vorname", "en": "First name", "fr": "Prénom"}"#)
            .expect("valid text")
            .0
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
        let t: Text = crate::json::from_str(r#"{"nl": "Voornaam", "sv": "Förnamn"}"#).expect("ok").0;
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
        let err = crate::json::from_str::<Text>("42").expect_err("number is not text");
        assert!(
            err.to_string().contains("a string, or an object of locale"),
            "{err}"
        );
        let err = crate::json::from_str::<Text>("{}").expect_err("empty map");
        assert!(err.to_string().contains("at least one locale"), "{err}");
    }
}
