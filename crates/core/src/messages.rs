//! Visitor-facing texts of the widget in German and English.
//!
//! Config texts come from the marketer; these are the texts the product itself says
//! (validation errors, button states). They live in the core so the collector can
//! answer with the very messages the widget shows.

/// A language the product speaks. Anything else falls back to English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    /// The language of a BCP 47 tag such as `de-AT`.
    pub fn from_tag(tag: &str) -> Lang {
        let lang = tag.split(['-', '_']).next().unwrap_or("");
        if lang.eq_ignore_ascii_case("de") {
            Lang::De
        } else {
            Lang::En
        }
    }
}

/// A fixed text of the widget's interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ui {
    Submit,
    Sending,
    /// The legend explaining the required-field mark.
    Required,
    /// The empty first option of a select.
    Choose,
    SendFailed,
    ThankYou,
    Download,
    Next,
    Back,
    /// "Step {n} of {m}": the words around the numbers.
    Step,
    Of,
    Close,
    /// "Welcome back, {first_name}" (the greeting before the name).
    WelcomeBack,
    NotYou,
    YourResult,
    Points,
    /// The lead is in the device's outbox and goes out when the endpoint can be reached.
    Queued,
    /// The spam trap's label: hidden from people, read by bots, screen readers that ignore
    /// `aria-hidden` and translation tools, so in the offer's language like all its text.
    Honeypot,
}

/// The text for `key` in `lang`.
pub fn ui(lang: Lang, key: Ui) -> &'static str {
    match (lang, key) {
        (Lang::De, Ui::Submit) => "Absenden",
        (Lang::En, Ui::Submit) => "Submit",
        (Lang::De, Ui::Sending) => "Wird gesendet …",
        (Lang::En, Ui::Sending) => "Sending …",
        (Lang::De, Ui::Required) => "Mit * markierte Felder sind Pflichtfelder.",
        (Lang::En, Ui::Required) => "Fields marked * are required.",
        (Lang::De, Ui::Choose) => "Bitte wählen …",
        (Lang::En, Ui::Choose) => "Please choose …",
        (Lang::De, Ui::SendFailed) => {
            "Das Senden hat nicht geklappt. Ihre Angaben sind noch da – bitte versuchen Sie es gleich noch einmal."
        }
        (Lang::En, Ui::SendFailed) => {
            "Sending did not work. Your answers are still here – please try again in a moment."
        }
        (Lang::De, Ui::ThankYou) => "Vielen Dank! Ihre Angaben sind angekommen.",
        (Lang::En, Ui::ThankYou) => "Thank you! We have received your details.",
        (Lang::De, Ui::Download) => "Jetzt herunterladen",
        (Lang::En, Ui::Download) => "Download now",
        (Lang::De, Ui::Next) => "Weiter",
        (Lang::En, Ui::Next) => "Next",
        (Lang::De, Ui::Back) => "Zurück",
        (Lang::En, Ui::Back) => "Back",
        (Lang::De, Ui::Step) => "Schritt",
        (Lang::En, Ui::Step) => "Step",
        (Lang::De, Ui::Of) => "von",
        (Lang::En, Ui::Of) => "of",
        (Lang::De, Ui::Honeypot) => "Dieses Feld bitte leer lassen",
        (Lang::En, Ui::Honeypot) => "Leave this field empty",
        (Lang::De, Ui::Close) => "Schließen",
        (Lang::En, Ui::Close) => "Close",
        (Lang::De, Ui::WelcomeBack) => "Willkommen zurück",
        (Lang::En, Ui::WelcomeBack) => "Welcome back",
        (Lang::De, Ui::NotYou) => "Nicht Sie?",
        (Lang::En, Ui::NotYou) => "Not you?",
        (Lang::De, Ui::YourResult) => "Ihr Ergebnis",
        (Lang::En, Ui::YourResult) => "Your result",
        (Lang::De, Ui::Points) => "Punkte",
        (Lang::En, Ui::Points) => "points",
        (Lang::De, Ui::Queued) => {
            "Auf diesem Gerät gespeichert: Wir senden es, sobald Sie wieder online sind."
        }
        (Lang::En, Ui::Queued) => "Saved on this device: we'll send it as soon as you're back online.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_language_from_tag() {
        assert_eq!(Lang::from_tag("de"), Lang::De);
        assert_eq!(Lang::from_tag("DE-at"), Lang::De);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag("fr"), Lang::En);
        assert_eq!(Lang::from_tag(""), Lang::En);
    }

    #[test]
    fn every_text_exists_in_both_languages() {
        use Ui::*;
        for key in [
            Submit,
            Sending,
            Required,
            Choose,
            SendFailed,
            ThankYou,
            Download,
            Next,
            Back,
            Step,
            Of,
            Close,
            WelcomeBack,
            NotYou,
            YourResult,
            Points,
            Queued,
            Honeypot,
        ] {
            let (de, en) = (ui(Lang::De, key), ui(Lang::En, key));
            assert!(!de.is_empty() && !en.is_empty());
            assert_ne!(de, en, "{key:?} is not translated");
        }
    }
}
