//! The endpoint formats: one lead payload in, the exact request out.
//!
//! A lead goes to the collector as the payload v1 itself (`leadmagnet`), or shaped for a
//! CRM: HubSpot's Forms API v3 (from the browser, or from the collector's forwarding with
//! its private app token), Salesforce Web-to-Lead, or any webhook (JSON or urlencoded).
//! These functions are the one definition of those shapes; README "Endpoint formats"
//! documents them and `tests/fixtures/formats` holds one payload and the request each
//! format makes of it.
//!
//! Pure: what the browser alone knows (the wording as shown, HubSpot's `hubspotutk`
//! cookie) comes in as arguments.

use crate::config::{Encoding, Endpoint, EndpointFormat};
use crate::json::{ToJson, Writer};
use crate::map::SortedMap;
use crate::validate::FieldValue;
use crate::{LeadPayload, OfferConfig};

/// HubSpot's public Forms API v3 submit (from a browser, no token).
pub const HUBSPOT_PUBLIC: &str = "https://api.hsforms.com/submissions/v3/integration/submit/";
pub const SALESFORCE: &str =
    "https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8";

/// One HTTP POST: where, with which headers (`Content-Type` first, then the idempotency
/// key, then a webhook's own), what body, and whether a browser may read the answer
/// (`cors`) or only send (Salesforce answers without CORS).
#[derive(Debug, Clone, PartialEq)]
pub struct Request<'a> {
    pub url: String,
    pub content_type: &'static str,
    pub idempotency_key: Option<String>,
    /// A webhook's static headers (a `Content-Type` among them gives way to ours).
    pub extra_headers: Option<&'a SortedMap<String>>,
    pub body: String,
    pub cors: bool,
}

impl Request<'_> {
    fn post(url: &str, content_type: &'static str, body: String) -> Request<'static> {
        Request {
            url: url.to_owned(),
            content_type,
            idempotency_key: None,
            extra_headers: None,
            body,
            cors: true,
        }
    }

    /// Every header, in the order sent.
    pub fn headers(&self) -> Vec<(&str, &str)> {
        let mut headers = vec![("Content-Type", self.content_type)];
        if let Some(key) = &self.idempotency_key {
            headers.push(("Idempotency-Key", key));
        }
        for (name, value) in self.extra_headers.into_iter().flat_map(SortedMap::iter) {
            if !name.eq_ignore_ascii_case("content-type") {
                headers.push((name, value));
            }
        }
        headers
    }

    /// The request as text: the URL, one `name: value` line per header, a blank line,
    /// the body (what the fixture files hold).
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "POST {}{}\n",
            self.url,
            if self.cors { "" } else { " (no-cors)" }
        );
        for (name, value) in self.headers() {
            text.push_str(&format!("{name}: {value}\n"));
        }
        text.push('\n');
        text.push_str(&self.body);
        text.push('\n');
        text
    }
}

/// The request `endpoint` (the offer's `endpoint` or one of `also_send_to`) makes of
/// `payload`; `url` is the endpoint's own URL resolved against the config's (formats
/// `leadmagnet` and `webhook`; HubSpot and Salesforce have fixed addresses).
pub fn for_endpoint<'a>(
    endpoint: &'a Endpoint,
    url: &str,
    payload: &LeadPayload,
    wording: &dyn Fn(&str) -> String,
    hutk: Option<&str>,
) -> Request<'a> {
    let map = &endpoint.field_map;
    match endpoint.format {
        EndpointFormat::Leadmagnet => leadmagnet(url, payload),
        EndpointFormat::Webhook => webhook(
            url,
            &endpoint.headers,
            endpoint.encoding == Some(Encoding::Form),
            map,
            payload,
        ),
        EndpointFormat::Salesforce => salesforce(
            endpoint.oid.as_deref().unwrap_or(""),
            endpoint.lead_source.as_deref().filter(|s| !s.is_empty()),
            map,
            payload,
        ),
        EndpointFormat::Hubspot => hubspot(
            &format!(
                "{HUBSPOT_PUBLIC}{}/{}",
                endpoint.portal_id.as_deref().unwrap_or(""),
                endpoint.form_guid.as_deref().unwrap_or("")
            ),
            map,
            endpoint.subscription_type_id,
            payload,
            wording,
            hutk,
        ),
    }
}

/// The collector's own format: the payload as JSON, its `lead_id` as the idempotency key.
pub fn leadmagnet(url: &str, payload: &LeadPayload) -> Request<'static> {
    let mut request = Request::post(url, "application/json", payload.to_json());
    request.idempotency_key = Some(payload.lead_id.clone());
    request
}

/// A webhook: the payload as JSON, or (`form`) the fields urlencoded with `offer_id` and
/// `lead_id`; the endpoint's static headers after ours, `Content-Type` always ours.
pub fn webhook<'a>(
    url: &str,
    headers: &'a SortedMap<String>,
    form: bool,
    field_map: &SortedMap<String>,
    payload: &LeadPayload,
) -> Request<'a> {
    let (content_type, body) = if form {
        let mut pairs = named(payload, field_map, &[], &[]);
        pairs.push(("offer_id".to_owned(), payload.offer_id.clone()));
        pairs.push(("lead_id".to_owned(), payload.lead_id.clone()));
        ("application/x-www-form-urlencoded", urlencoded(&pairs))
    } else {
        ("application/json", payload.to_json())
    };
    let mut request = Request::post(url, content_type, body);
    request.extra_headers = Some(headers);
    request
}

/// Salesforce's standard Web-to-Lead names for well-known field ids.
const SALESFORCE_NAMES: &[(&str, &str)] = &[
    ("job_title", "title"),
    ("role", "title"),
    ("website", "URL"),
];

/// Salesforce Web-to-Lead: a urlencoded form post with `oid` (and `lead_source`), sent
/// without CORS (Salesforce answers with a redirect a browser may not read).
pub fn salesforce(
    oid: &str,
    lead_source: Option<&str>,
    field_map: &SortedMap<String>,
    payload: &LeadPayload,
) -> Request<'static> {
    // `oid` and `lead_source` are the endpoint's: a field of that name gives way.
    let own: &[&str] = if lead_source.is_some() {
        &["oid", "lead_source"]
    } else {
        &["oid"]
    };
    let mut pairs = named(payload, field_map, SALESFORCE_NAMES, own);
    pairs.push(("oid".to_owned(), oid.to_owned()));
    if let Some(source) = lead_source {
        pairs.push(("lead_source".to_owned(), source.to_owned()));
    }
    let mut request = Request::post(
        SALESFORCE,
        "application/x-www-form-urlencoded",
        urlencoded(&pairs),
    );
    request.cors = false;
    request
}

/// HubSpot's Forms API v3 body: the fields under their mapped names (lists joined with
/// `;`), the submit time, the page (and `hutk`, HubSpot's visitor cookie, when the
/// browser has one) and the legal consent: the processing consent with the wording the
/// visitor agreed to, and each other consent purpose as a communication of
/// `subscription_type_id` when the endpoint names one. `wording(field_id)` is that text:
/// the label as shown in the browser; the offer's label in the lead's locale on the
/// collector ([`offer_wording`]).
pub fn hubspot(
    url: &str,
    field_map: &SortedMap<String>,
    subscription_type_id: Option<u32>,
    payload: &LeadPayload,
    wording: &dyn Fn(&str) -> String,
    hutk: Option<&str>,
) -> Request<'static> {
    let mut w = Writer::new(false);
    w.begin_object();
    if let Some(ms) = crate::time::parse_rfc3339(&payload.submitted_at) {
        w.field("submittedAt", &ms.to_string());
    }
    w.key("fields");
    w.begin_array();
    for (name, value) in named(payload, field_map, &[], &[]) {
        w.element();
        w.begin_object();
        w.field("objectTypeId", "0-1");
        w.field("name", &name);
        w.field("value", &value);
        w.end_object();
    }
    w.end_array();
    w.key("context");
    w.begin_object();
    w.field("pageUri", &payload.context.page_url);
    w.field(
        "pageName",
        payload.context.page_title.as_deref().unwrap_or(""),
    );
    if let Some(hutk) = hutk {
        w.field("hutk", hutk);
    }
    w.end_object();
    let purposes = payload
        .consent
        .as_ref()
        .map_or(&[][..], |c| &c.purposes[..]);
    // Legal consent only where the offer asks for processing consent: consent to process
    // when every processing consent was given, in the wordings agreed to; each other
    // purpose a communication of the endpoint's subscription type.
    let (mut any, mut all, mut text) = (false, true, String::new());
    for p in purposes.iter().filter(|p| p.purpose == "processing") {
        if any {
            text.push(' ');
        }
        any = true;
        all &= p.granted;
        text.push_str(&wording(&p.field));
    }
    if any {
        w.key("legalConsentOptions");
        w.begin_object();
        w.key("consent");
        w.begin_object();
        w.field("consentToProcess", &all);
        w.field("text", &text);
        w.key("communications");
        w.begin_array();
        if let Some(id) = subscription_type_id.filter(|id| *id != 0) {
            for p in purposes.iter().filter(|p| p.purpose != "processing") {
                w.element();
                w.begin_object();
                w.field("value", &p.granted);
                w.field("subscriptionTypeId", &id);
                w.field("text", &wording(&p.field));
                w.end_object();
            }
        }
        w.end_array();
        w.end_object();
        w.end_object();
    }
    w.end_object();
    Request::post(url, "application/json", w.finish())
}

/// The wording of a consent field as the offer states it in the lead's locale (the
/// consent record's, else the page's, else the offer's): what the collector sends HubSpot
/// as the text the visitor agreed to. Empty for a field the offer no longer has.
pub fn offer_wording<'a>(
    config: &'a OfferConfig,
    payload: &LeadPayload,
) -> impl Fn(&str) -> String + 'a {
    let locale = payload
        .consent
        .as_ref()
        .and_then(|c| c.locale.clone())
        .or_else(|| payload.context.locale.clone())
        .unwrap_or_else(|| config.locale().to_owned());
    move |id: &str| {
        config
            .fields
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.label.resolve(&locale).to_owned())
            .unwrap_or_default()
    }
}

/// The fields as (name, text) pairs in the payload's order: a mapped name, else a standard
/// one from `standard`, else the id; lists joined with `;`, yes/no as `true`/`false`.
/// Names in `reserved` are left out (the format sets them itself).
fn named(
    payload: &LeadPayload,
    field_map: &SortedMap<String>,
    standard: &[(&str, &str)],
    reserved: &[&str],
) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (id, value) in payload.fields.iter() {
        let name = match field_map.get(id) {
            // An empty mapping is no mapping (the field keeps its name).
            Some(mapped) if !mapped.is_empty() => mapped.as_str(),
            _ => standard
                .iter()
                .find(|(k, _)| k == id)
                .map_or(id.as_str(), |(_, v)| *v),
        };
        if reserved.contains(&name) {
            continue;
        }
        let text = match value {
            FieldValue::Text(t) => t.clone(),
            FieldValue::Bool(b) => b.to_string(),
            FieldValue::List(items) => items.join(";"),
        };
        pairs.push((name.to_owned(), text));
    }
    pairs
}

/// `application/x-www-form-urlencoded` as browsers write it (URLSearchParams): letters,
/// digits and `*-._` stay, a space is `+`, every other byte of the UTF-8 is `%XX`.
pub fn urlencoded(pairs: &[(String, String)]) -> String {
    fn push(out: &mut String, text: &str) {
        for b in text.bytes() {
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    out.push(b as char);
                }
                b' ' => out.push('+'),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789ABCDEF";
                    out.push('%');
                    out.push(HEX[usize::from(b >> 4)] as char);
                    out.push(HEX[usize::from(b & 15)] as char);
                }
            }
        }
    }
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push(&mut out, name);
        out.push('=');
        push(&mut out, value);
    }
    out
}

impl ToJson for Request<'_> {
    fn to_json(&self, w: &mut Writer) {
        w.begin_object();
        w.field("url", &self.url);
        w.key("headers");
        w.begin_object();
        for (name, value) in self.headers() {
            w.field(name, value);
        }
        w.end_object();
        w.field("body", &self.body);
        w.field("mode", if self.cors { "cors" } else { "no-cors" });
        w.end_object();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_matches_url_search_params() {
        // Expected strings from `new URLSearchParams(pairs).toString()` in Node.
        let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect()
        };
        assert_eq!(
            urlencoded(&pairs(&[
                ("a b", "c&d=e"),
                ("ü", "😀"),
                ("x", "*-._~!'()+")
            ])),
            "a+b=c%26d%3De&%C3%BC=%F0%9F%98%80&x=*-._%7E%21%27%28%29%2B"
        );
        assert_eq!(urlencoded(&[]), "");
    }

    fn lead(consent: &str, fields: &str) -> LeadPayload {
        let text = format!(
            r#"{{"version":1,"lead_id":"019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d","offer_id":"o","submitted_at":"2026-11-27T08:30:00.000Z","fields":{fields},"context":{{"page_url":"https://x.example/"}},"consent":{{"purposes":{consent}}}}}"#
        );
        crate::parse_lead(text.as_bytes()).expect("lead")
    }

    fn legal(request: &Request) -> serde_json::Value {
        let body: serde_json::Value = serde_json::from_str(&request.body).expect("json");
        body["legalConsentOptions"].clone()
    }

    #[test]
    fn hubspot_consents_to_process_only_when_every_processing_consent_was_given() {
        let wording = |id: &str| format!("[{id}]");
        let map = SortedMap::new();
        let two = r#"[{"purpose":"processing","field":"terms","granted":true},{"purpose":"processing","field":"privacy","granted":false},{"purpose":"marketing","field":"news","granted":true}]"#;
        let r = hubspot("u", &map, Some(7), &lead(two, "{}"), &wording, None);
        assert_eq!(
            legal(&r),
            serde_json::json!({ "consent": { "consentToProcess": false, "text": "[terms] [privacy]",
                "communications": [{ "value": true, "subscriptionTypeId": 7, "text": "[news]" }] } })
        );
        let both = two.replace("false", "true");
        assert_eq!(
            legal(&hubspot(
                "u",
                &map,
                None,
                &lead(&both, "{}"),
                &wording,
                None
            ))["consent"]["consentToProcess"],
            true
        );
        // Marketing consent alone, or none: no legal consent is claimed at all.
        let marketing = r#"[{"purpose":"marketing","field":"news","granted":true}]"#;
        assert_eq!(
            legal(&hubspot(
                "u",
                &map,
                Some(7),
                &lead(marketing, "{}"),
                &wording,
                None
            )),
            serde_json::Value::Null
        );
        assert_eq!(
            legal(&hubspot(
                "u",
                &map,
                Some(7),
                &lead("[]", "{}"),
                &wording,
                None
            )),
            serde_json::Value::Null
        );
        // Subscription type 0 is none (as the loader always read it).
        let r = hubspot("u", &map, Some(0), &lead(two, "{}"), &wording, None);
        assert_eq!(
            legal(&r)["consent"]["communications"],
            serde_json::json!([])
        );
    }

    #[test]
    fn an_empty_mapping_or_lead_source_is_none() {
        let mut map = SortedMap::new();
        map.insert("email".to_owned(), String::new());
        let payload = lead("[]", r#"{"email":"a@b.example","lead_source":"form"}"#);
        let r = salesforce("00D", None, &map, &payload);
        assert_eq!(r.body, "email=a%40b.example&lead_source=form&oid=00D");
        let mut endpoint: crate::config::Endpoint = crate::json::read(
            r#"{"format":"salesforce","oid":"00D","lead_source":"","field_map":{"email":""}}"#,
            false,
        )
        .expect("endpoint");
        let r = for_endpoint(&endpoint, "", &payload, &|_| String::new(), None);
        assert_eq!(
            r.body, "email=a%40b.example&lead_source=form&oid=00D",
            "an empty lead_source is none"
        );
        endpoint.lead_source = Some("Web".into());
        let r = for_endpoint(&endpoint, "", &payload, &|_| String::new(), None);
        assert_eq!(
            r.body, "email=a%40b.example&oid=00D&lead_source=Web",
            "the endpoint's lead_source wins"
        );
    }
}
