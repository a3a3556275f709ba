//! The offline commands of the `leadmagnet` CLI: `validate`, `schema`, `score`, `fields`.
//! They read files, call the core, and print. A stable interface: users' scripts and CI
//! pipelines call them. Exit codes: 0 done, 1 bad input (named with file and place),
//! 2 wrong usage (clap's).

use crate::domains::FullLists;
use leadmagnet_core::account::parse_model;
use leadmagnet_core::config::{ConfigError, OfferConfig};
use leadmagnet_core::json::{self, ToJson};
use leadmagnet_core::profiling::fields_to_show;
use leadmagnet_core::scoring::{explain, lead_problems, parse_leads, score, Score};
use leadmagnet_core::time::parse_rfc3339;
use leadmagnet_core::{parse_offer, Values};
use std::path::Path;

/// What a command prints on success, or its failure message (exit 1).
pub type Outcome = Result<String, String>;

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

/// Whether `path` is an account-wide scoring model (`scoring.json`) rather than an offer.
fn is_model(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == leadmagnet_core::account::MODEL_FILE)
}

/// An offer config, or a scoring model as an offer with only its fields and scoring.
fn parse_either(path: &Path, text: &str) -> Result<OfferConfig, Vec<ConfigError>> {
    if is_model(path) {
        parse_model(text).map(|m| m.as_offer())
    } else {
        parse_offer(text)
    }
}

fn load_config(path: &Path) -> Result<OfferConfig, String> {
    parse_either(path, &read(path)?).map_err(|problems| {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {p}", path.display()))
            .collect();
        format!(
            "{}\n{}: invalid offer config; `leadmagnet validate {}` lists every problem",
            lines.join("\n"),
            path.display(),
            path.display()
        )
    })
}

/// Every problem of an input file, one per line as `file:line:column: pointer: message`.
fn place(path: &Path, problems: &[json::Error]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|e| {
            let at = if e.pointer.is_empty() {
                "/"
            } else {
                &e.pointer
            };
            format!(
                "{}:{}:{}: {at}: {}",
                path.display(),
                e.line,
                e.column,
                e.message
            )
        })
        .collect();
    lines.join("\n")
}

/// `leadmagnet validate PATH…`: every problem of every config in one run, one per line as
/// `file:line:column: pointer: message` (the form editors and terminals link to its
/// place). A folder stands for its `*.json` files; a file named `scoring.json` is
/// checked as the account-wide scoring model. One file prints `ok`; several print
/// `file: ok` for each good one and a count at the end.
pub fn validate(paths: &[std::path::PathBuf]) -> Outcome {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| format!("{}: cannot read the folder: {e}", path.display()))?
                .flatten()
                .map(|entry| entry.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{}: no *.json offer configs in this folder",
                    path.display()
                ));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut out = String::new();
    let mut failed = 0;
    for file in &files {
        let problems = match read(file) {
            Ok(text) if is_model(file) => leadmagnet_core::account::ScoringModel::problems(&text),
            Ok(text) => leadmagnet_core::config::offer_problems(&text),
            Err(message) => {
                failed += 1;
                out += &message;
                out.push('\n');
                continue;
            }
        };
        if problems.is_empty() {
            if files.len() > 1 {
                out += &format!("{}: ok\n", file.display());
            }
            continue;
        }
        failed += 1;
        for p in &problems {
            let at = if p.pointer.is_empty() {
                "/"
            } else {
                &p.pointer
            };
            out += &format!(
                "{}:{}:{}: {at}: {}\n",
                file.display(),
                p.line.unwrap_or(1),
                p.column.unwrap_or(1),
                p.message
            );
        }
    }
    if files.len() > 1 {
        out += &format!("{} files checked, {failed} with problems\n", files.len());
    } else if failed == 0 {
        out += "ok\n";
    }
    if failed == 0 {
        Ok(out)
    } else {
        Err(out.trim_end().to_owned())
    }
}

/// `leadmagnet schema [--model]`: the JSON Schema of the offer config v1, or of the
/// account-wide scoring model v1.
pub fn schema(model: bool) -> Outcome {
    let (mut schema, id, title) = if model {
        (
            schemars::schema_for!(leadmagnet_core::account::ScoringModel),
            "https://leadmagnet.dev/schema/scoring.v1.json",
            "Leadmagnet scoring model v1",
        )
    } else {
        (
            schemars::schema_for!(OfferConfig),
            "https://leadmagnet.dev/schema/offer.v1.json",
            "Leadmagnet offer config v1",
        )
    };
    schema.insert("$id".into(), id.into());
    schema.insert("title".into(), title.into());
    serde_json::to_string_pretty(&schema)
        .map(|s| s + "\n")
        .map_err(|e| format!("cannot write the schema: {e}"))
}

/// `leadmagnet score --config C --lead L [--now T]`.
/// `--now`, or the clock.
fn now_of(now: Option<&str>) -> Result<i64, String> {
    match now {
        Some(t) => parse_rfc3339(t)
            .ok_or_else(|| format!("--now {t}: not an RFC 3339 time such as 2026-11-27T12:00:00Z")),
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .map_err(|e| format!("the system clock is before 1970: {e}")),
    }
}

/// `leadmagnet score --config C --contact P [--now T]`: a person as the collector scores
/// them (`contact::PersonFacts::assess`).
pub fn score_contact(config: &Path, contact: &Path, now: Option<&str>) -> Outcome {
    let config = load_config(config)?;
    let now_ms = now_of(now)?;
    let facts: leadmagnet_core::contact::PersonFacts =
        json::read(&read(contact)?, false).map_err(|e| place(contact, &e))?;
    let assessment = facts
        .assess(
            &config.scoring.unwrap_or_default(),
            now_ms,
            FullLists::get(),
        )
        .map_err(|e| format!("{}: {e}", contact.display()))?;
    Ok(assessment.to_json_pretty() + "\n")
}

pub fn score_leads(config: &Path, lead: &Path, now: Option<&str>) -> Outcome {
    let config = load_config(config)?;
    let now_ms = now_of(now)?;
    let (leads, array) = parse_leads(&read(lead)?).map_err(|e| place(lead, &e))?;
    // Checked as the collector checks a lead: a lead it would refuse is not scored.
    let problems: Vec<String> = leads
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            let at = if array {
                format!("/{i}")
            } else {
                String::new()
            };
            lead_problems(&config, l, &at)
        })
        .map(|p| format!("{}: {p}", lead.display()))
        .collect();
    if !problems.is_empty() {
        return Err(format!(
            "{}\n{}: the collector would refuse this lead; fix it to score it",
            problems.join("\n"),
            lead.display()
        ));
    }
    let scoring = config.scoring.unwrap_or_default();
    let scores: Vec<Explained> = leads
        .iter()
        .map(|l| {
            let score = score(&scoring, l, now_ms, FullLists::get());
            let explanation = explain(&scoring, l, &score, FullLists::get());
            Explained { score, explanation }
        })
        .collect();
    let out = if array {
        scores.to_json_pretty()
    } else {
        scores[0].to_json_pretty()
    };
    Ok(out + "\n")
}

/// A score with its explanation (`scoring::explain`): what `score` prints.
struct Explained {
    score: Score,
    explanation: Vec<String>,
}

impl ToJson for Explained {
    fn to_json(&self, w: &mut json::Writer) {
        w.begin_object();
        self.score.write_members(w);
        w.field("explanation", &self.explanation);
        w.end_object();
    }
}

/// `leadmagnet fields --config C [--profile P]`: the field ids a visitor sees now.
pub fn fields(config: &Path, profile: Option<&Path>) -> Outcome {
    let config = load_config(config)?;
    let profile: Values = match profile {
        Some(path) => json::read(&read(path)?, true).map_err(|e| place(path, &e))?,
        None => Values::new(),
    };
    let shown = fields_to_show(&config, &profile, &Values::new(), FullLists::get());
    Ok(shown.to_json_pretty() + "\n")
}

/// `leadmagnet render CONFIG`: the embed snippet (`crate::rendered::snippet`), after a
/// comment naming the stylesheet's CSP hash for pages with a `style-src` policy.
pub fn render(
    config: &Path,
    locale: Option<&str>,
    config_url: Option<&str>,
    script: Option<&str>,
    dist: Option<&Path>,
) -> Outcome {
    let text = read(config)?;
    let offer = parse_offer(&text).map_err(|problems| {
        format!(
            "{} has problems; fix them first (leadmagnet validate {0}):\n{}",
            config.display(),
            problems
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    if offer.account_scoring {
        return Err(format!(
            "{} uses the account-wide model (account_scoring): the collector serves it with the model in place, so take the snippet from the collector (GET /fragments/{}) or render the config as served (GET /offers/{0})",
            config.display(),
            config.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ));
    }
    let file = config
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let config_url = config_url.map_or_else(|| format!("/offers/{file}"), str::to_owned);
    // One script for every offer: leadmagnet.js fetches the full build's part and wasm
    // itself for an offer that needs them. `--script leadmagnet-full.js` still names the
    // full build for pages whose offers all need it.
    let script = match script {
        Some(s) => s.to_owned(),
        None => url::Url::parse(&config_url)
            .and_then(|u| u.join("/dist/leadmagnet.js"))
            .map_or_else(|_| "/dist/leadmagnet.js".to_owned(), String::from),
    };
    let needs_full = leadmagnet_core::display::needs_full_build(&offer).is_some();
    let script_name = script.rsplit('/').next().unwrap_or(&script);
    let full_script = script_name.starts_with("leadmagnet-full");
    let dist = dist.map_or_else(
        || {
            config
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("."))
                .join("dist")
        },
        Path::to_path_buf,
    );
    // The hashed file of a build in `dist` (next to the config's folder, www/offers →
    // www/dist), as a URL beside the script: what the loader will fetch, to preload.
    let entries: Vec<String> = std::fs::read_dir(&dist)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let hashed = |prefix: &str, suffix: &str| {
        entries.iter().find_map(|name| {
            let hash = name
                .strip_prefix(prefix)?
                .strip_prefix('-')?
                .strip_suffix(suffix)?;
            (hash.len() == 12 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then(|| match script
                .rsplit_once('/')
            {
                Some((folder, _)) => format!("{folder}/{name}"),
                None => name.clone(),
            })
        })
    };
    let mut fetches = Vec::new();
    let mut scripts = Vec::new();
    if full_script {
        fetches.extend(hashed("leadmagnet-full", ".wasm"));
    } else {
        fetches.extend(hashed("leadmagnet", ".wasm"));
        if needs_full {
            fetches.extend(hashed("leadmagnet-full", ".wasm"));
            scripts.extend(hashed("leadmagnet-full", ".part.js"));
        }
    }
    if let Some(tag) = locale {
        if tag.is_empty()
            || tag.len() > 35
            || !tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(format!(
                "--locale {tag:?} is not a language tag such as de or en-GB"
            ));
        }
    }
    Ok(format!(
        "<!-- Leadmagnet offer \"{}\": paste where the form goes. A page whose Content-Security-Policy has style-src adds {} to it. -->\n{}",
        offer.id.replace("--", "- -"),
        crate::rendered::style_source(),
        crate::rendered::snippet(&offer, &text, &config_url, locale, &script, &fetches, &scripts)
    ))
}
