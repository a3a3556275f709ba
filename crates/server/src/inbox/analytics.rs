//! The offers' analytics in the inbox: `/inbox/offers` (each offer's views, submits and
//! conversion) and `/inbox/offers/{offer_id}` (its report: the funnel with the drop-off at
//! each stage, the fields where visitors gave up, conversion per variant with its 95 %
//! interval and the verdict, the daily trend) with its CSV at `/inbox/offers/{id}.csv`.
//! The figures are `leadmagnet_core::analytics::Report`'s, the API's
//! (`GET /api/v1/offers/{id}/report`).

use super::session::signed_in;
use super::views::{self, t};
use super::ConnectInfoOpt;
use crate::api::analytics::{counts_of, csv_response};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use leadmagnet_core::analytics::Report;
use maud::html;

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

/// `GET /inbox/offers`: every offer with its views, submits and conversion.
pub async fn offers(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
) -> Response {
    if let Err(page) = signed_in(&state, peer, &headers).await {
        return page;
    }
    let title = t("Offers", "Angebote");
    let mut rows = Vec::new();
    for id in state.offers.ids() {
        let Ok((config, counts)) = counts_of(&state, &id).await else {
            return views::message(
                StatusCode::SERVICE_UNAVAILABLE,
                title,
                t(
                    "The lead store is unavailable; try again in a moment.",
                    "Der Lead-Speicher ist nicht erreichbar; versuchen Sie es gleich noch einmal.",
                ),
            );
        };
        let report = Report::of(&config, &counts);
        let views_n = report.funnel.first().map_or(0, |s| s.count);
        let submits = report.funnel.last().map_or(0, |s| s.count);
        rows.push((
            id,
            views_n,
            submits,
            pct(leadmagnet_core::analytics::share(submits, views_n)),
        ));
    }
    views::page(
        StatusCode::OK,
        title,
        html! {
            h1 { (title) }
            p { (t("Counted by the widget on each page view that showed the offer: counts only, no cookie, no identifier.",
                   "Vom Widget bei jedem Seitenaufruf gezählt, der das Angebot zeigte: nur Zahlen, kein Cookie, keine Kennung.")) }
            table {
                caption { (t("Views, submits and conversion per offer", "Aufrufe, Absendungen und Konversion je Angebot")) }
                tr { th { (t("Offer", "Angebot")) } th { (t("Views", "Aufrufe")) } th { (t("Submits", "Absendungen")) } th { (t("Conversion", "Konversion")) } }
                @for (id, v, s, c) in &rows {
                    tr { td { a href=(format!("/inbox/offers/{id}")) { (id) } } td { (v) } td { (s) } td { (c) } }
                }
            }
        },
    )
}

/// `GET /inbox/offers/{offer_id}` (the report) and `/inbox/offers/{offer_id}.csv`.
pub async fn report(
    State(state): State<AppState>,
    ConnectInfoOpt(peer): ConnectInfoOpt,
    headers: HeaderMap,
    Path(offer_id): Path<String>,
) -> Response {
    if let Err(page) = signed_in(&state, peer, &headers).await {
        return page;
    }
    let title = t("Offer report", "Angebotsbericht");
    let (id, csv) = match offer_id.strip_suffix(".csv") {
        Some(id) => (id, true),
        None => (offer_id.as_str(), false),
    };
    let (config, counts) =
        match counts_of(&state, id).await {
            Ok(found) => found,
            Err(e) if e.status == StatusCode::NOT_FOUND => {
                return views::message(
                    StatusCode::NOT_FOUND,
                    title,
                    t("No such offer.", "Dieses Angebot gibt es nicht."),
                )
            }
            Err(_) => return views::message(
                StatusCode::SERVICE_UNAVAILABLE,
                title,
                t(
                    "The lead store is unavailable; try again in a moment.",
                    "Der Lead-Speicher ist nicht erreichbar; versuchen Sie es gleich noch einmal.",
                ),
            ),
        };
    if csv {
        return csv_response(id, Report::csv(&config, &counts));
    }
    let r = Report::of(&config, &counts);
    views::page(
        StatusCode::OK,
        title,
        html! {
            h1 { (title) ": " (r.offer_id) }
            p { a href=(format!("/inbox/offers/{}.csv", r.offer_id)) { (t("Export CSV (per day and variant)", "CSV exportieren (je Tag und Variante)")) } }
            h2 { (t("Funnel", "Trichter")) }
            table.funnel-report {
                caption { (t("Page views that reached each stage, and the share lost since the stage before", "Seitenaufrufe, die jede Stufe erreichten, und der Anteil, der seit der Stufe davor verloren ging")) }
                tr { th { (t("Stage", "Stufe")) } th { (t("Page views", "Seitenaufrufe")) } th { (t("Drop-off", "Abbruch")) } }
                @for s in &r.funnel {
                    tr { td { (s.name) } td { (s.count) } td { (pct(s.drop_off)) } }
                }
                tr { td { (t("refused submits", "abgelehnte Absendungen")) } td { (r.refused) } td { "–" } }
            }
            h2 { (t("Fields", "Felder")) }
            table.fields-report {
                caption { (t("Per field: shown an error, and the last one touched by visitors who left without sending", "Je Feld: mit Fehlermeldung gezeigt, und zuletzt berührt von Besuchern, die ohne Absenden gingen")) }
                tr { th { (t("Field", "Feld")) } th { (t("Invalid", "Ungültig")) } th { (t("Abandoned", "Abgebrochen")) } th { (t("Of starts", "Der Starts")) } }
                @for f in &r.fields {
                    tr { td { (f.field) } td { (f.invalid) } td { (f.abandoned) } td { (pct(f.abandon_rate)) } }
                }
            }
            h2 { (t("Variants", "Varianten")) }
            p.verdict { strong { (r.verdict) } }
            table.variants-report {
                caption { (t("Conversion (submits of views) with its 95 % confidence interval", "Konversion (Absendungen je Aufruf) mit 95-%-Konfidenzintervall")) }
                tr { th { (t("Variant", "Variante")) } th { (t("Views", "Aufrufe")) } th { (t("Submits", "Absendungen")) } th { (t("Conversion", "Konversion")) } th { (t("95 % interval", "95-%-Intervall")) } }
                @for a in &r.arms {
                    tr {
                        td {
                            @if a.variant.is_empty() { "–" } @else { (a.variant) }
                            // Shown, not compared: page views from before the test, or of a
                            // variant removed since.
                            @if !a.compared {
                                " " small { @if a.variant.is_empty() { (t("(before the test: not compared)", "(vor dem Test: nicht verglichen)")) } @else { (t("(removed: not compared)", "(entfernt: nicht verglichen)")) } }
                            }
                        }
                        td { (a.views) } td { (a.submits) } td { (pct(a.conversion)) }
                        td { (pct(a.low)) " – " (pct(a.high)) }
                    }
                }
            }
            h2 { (t("Daily trend", "Verlauf je Tag")) }
            table.days-report {
                caption { (t("Per day (UTC)", "Je Tag (UTC)")) }
                tr { th { (t("Day", "Tag")) } th { (t("Views", "Aufrufe")) } th { (t("Starts", "Starts")) } th { (t("Submits", "Absendungen")) } th { (t("Refused", "Abgelehnt")) } th { (t("Conversion", "Konversion")) } }
                @for d in &r.days {
                    tr { td { (d.day) } td { (d.views) } td { (d.starts) } td { (d.submits) } td { (d.refused) } td { (pct(d.conversion)) } }
                }
            }
        },
    )
}
