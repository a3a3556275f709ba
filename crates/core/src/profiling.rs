//! Progressive profiling and dependent fields: which fields a visitor is asked now.

use crate::config::OfferConfig;
use crate::domains::DomainLists;
use crate::rule::Facts;
use crate::validate::{FieldValue, Values};

/// The ids of the fields to show, in the order of `fields`: every `profiling.always`
/// field, plus the first `max_new_fields` fields of `profiling.order` that the profile does
/// not know yet and whose `visible_if` holds (against profile and current answers).
/// Without a `profiling` section: every field whose `visible_if` holds and that the profile
/// does not know. Known fields are not shown; their values are sent with the lead.
pub fn fields_to_show<'a>(
    config: &'a OfferConfig,
    profile: &Values,
    answers: &Values,
    lists: &dyn DomainLists,
) -> Vec<&'a str> {
    let mut known = profile.clone();
    for (k, v) in answers {
        known.insert(k.clone(), v.clone());
    }
    let facts = Facts {
        values: &known,
        lists,
        score: None,
    };
    let visible = |id: &str| {
        config
            .field(id)
            .is_some_and(|f| f.visible_if.as_ref().is_none_or(|c| c.matches(&facts)))
    };
    let in_profile = |id: &str| match profile.get(id) {
        Some(FieldValue::Text(t)) => !t.trim().is_empty(),
        Some(FieldValue::Bool(_)) => true,
        Some(FieldValue::List(items)) => !items.is_empty(),
        None => false,
    };
    let chosen: Vec<&str> = match &config.profiling {
        Some(p) => {
            let limit = p.max_new_fields.map_or(usize::MAX, |m| m as usize);
            let new = p
                .order
                .iter()
                .map(String::as_str)
                .filter(|id| !p.always.iter().any(|a| a == id))
                .filter(|id| !in_profile(id) && visible(id))
                .take(limit);
            p.always.iter().map(String::as_str).chain(new).collect()
        }
        None => config
            .fields
            .iter()
            .map(|f| f.id.as_str())
            .filter(|id| !in_profile(id) && visible(id))
            .collect(),
    };
    config
        .fields
        .iter()
        .map(|f| f.id.as_str())
        .filter(|id| chosen.contains(id))
        .collect()
}
