//! The offer-config checker the loader fetches on demand.
//!
//! The widget's wasm reads configs without problem texts and without the semantic checks
//! (they would cost ~10 KB of its 100 KB budget for something most page views never
//! need): a config served by `leadmagnet serve` was checked there (the response says so in
//! its `Leadmagnet-Checked` header). For any other config the loader fetches this small
//! module in parallel with the widget and asks it first; an invalid config then renders
//! nothing and its problems are logged, each with its JSON pointer, line, column and fix.

/// Every problem of the config, one per line (`/pointer (line L, column C): message`);
/// empty when the config is valid.
pub fn check_offer(json: &str) -> String {
    match leadmagnet_core::parse_offer(json) {
        Ok(_) => String::new(),
        Err(problems) => {
            let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            lines.join("\n")
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen::prelude::*;

    /// `checkOffer(json)` for the loader: see [`super::check_offer`].
    #[wasm_bindgen(js_name = checkOffer)]
    pub fn check_offer(json: &str) -> String {
        super::check_offer(json)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_every_problem_or_nothing() {
        let ok = include_str!("../../core/tests/fixtures/config/ok-quiz.json");
        assert_eq!(super::check_offer(ok), "");
        let broken = ok.replace("\"radio\"", "\"radios\"");
        let report = super::check_offer(&broken);
        assert!(report.contains("/fields/0/type (line"), "{report}");
        assert!(report.contains("did you mean \"radio\""), "{report}");
        let semantic = ok.replace("\"min\": 0, \"title\"", "\"min\": 9, \"title\"");
        assert!(
            super::check_offer(&semantic).contains("/quiz/results/2/min"),
            "semantic problems are found too"
        );
    }
}
