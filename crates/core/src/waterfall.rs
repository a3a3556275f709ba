//! The lead waterfall after scoring: the stages a lead moves through on its way to sales,
//! and which moves are allowed. Scoring puts a lead in `inquiry`, `mql` or `disqualified`;
//! from there people move it: sales accepts an MQL (`sal`) or rejects it with a reason,
//! qualifies it (`sql`), opens an `opportunity`, and closes it `won` or `lost`.

/// Every stage, in waterfall order.
pub const STAGES: [&str; 9] = [
    "inquiry",
    "mql",
    "sal",
    "sql",
    "opportunity",
    "won",
    "lost",
    "rejected",
    "disqualified",
];

/// The stages a lead in `from` may move to.
pub fn next_stages(from: &str) -> &'static [&'static str] {
    match from {
        // Marketing may promote an inquiry by hand (e.g. a call that qualified it).
        "inquiry" => &["mql", "rejected"],
        "mql" => &["sal", "rejected"],
        "sal" => &["sql", "rejected"],
        "sql" => &["opportunity", "rejected"],
        "opportunity" => &["won", "lost"],
        // A rejected lead can be recycled to marketing; closed ones stay closed.
        "rejected" => &["inquiry"],
        _ => &[],
    }
}

/// Why moving from `from` to `to` is not allowed, or `Ok`. A rejection needs a reason.
pub fn check_move(from: &str, to: &str, reason: Option<&str>) -> Result<(), String> {
    if !STAGES.contains(&to) {
        return Err(format!(
            "unknown stage \"{to}\"; stages are {}",
            STAGES.join(", ")
        ));
    }
    let allowed = next_stages(from);
    if !allowed.contains(&to) {
        return Err(if allowed.is_empty() {
            format!("a lead in \"{from}\" does not move on")
        } else {
            format!(
                "a lead in \"{from}\" can move to {} only, not \"{to}\"",
                allowed.join(" or ")
            )
        });
    }
    if to == "rejected" && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err("a rejection needs a reason, e.g. \"no budget this year\"".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_waterfall_moves_forward_and_rejections_say_why() {
        let path = ["inquiry", "mql", "sal", "sql", "opportunity", "won"];
        for pair in path.windows(2) {
            assert_eq!(check_move(pair[0], pair[1], None), Ok(()), "{pair:?}");
        }
        assert!(check_move("mql", "sql", None).is_err_and(|e| e.contains("sal or rejected")));
        assert!(check_move("mql", "rejected", None).is_err_and(|e| e.contains("reason")));
        assert_eq!(check_move("mql", "rejected", Some("no budget")), Ok(()));
        assert!(check_move("won", "lost", None).is_err_and(|e| e.contains("does not move on")));
        assert!(check_move("disqualified", "mql", None).is_err());
        assert!(check_move("mql", "accepted", None).is_err_and(|e| e.contains("unknown stage")));
        assert_eq!(check_move("rejected", "inquiry", None), Ok(()));
    }
}
