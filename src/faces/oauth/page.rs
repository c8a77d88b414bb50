//! The consent page: small server-rendered HTML, no JavaScript, readable
//! on a phone. Every text from outside (client name, host, messages, the
//! login typed) is escaped; the API key is never written back.

use crate::vocab::{ScopeSet, TokenScope};

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}\
main{max-width:30rem;margin:0 auto;padding:1.2rem}\
section{background:#fff;border-radius:.6rem;padding:1.2rem;box-shadow:0 1px 3px #0002}\
h1{font-size:1.3rem;margin:.2rem 0 .8rem}p{line-height:1.45}\
.host{color:#555;font-size:.95rem}.warn{color:#8a5300}.error{background:#fde8e8;color:#8a1c1c;padding:.6rem;border-radius:.4rem}\
label{display:block;margin:.8rem 0 .3rem;font-weight:600}\
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #bbb;border-radius:.4rem}\
.scope{display:flex;gap:.6rem;align-items:flex-start;margin:.5rem 0;font-weight:normal}.scope input{margin-top:.25rem}\
.buttons{display:flex;gap:.8rem;margin-top:1.2rem}button{flex:1;padding:.75rem;font-size:1rem;border-radius:.4rem;border:1px solid #999;background:#fff}\
button.approve{background:#1d5fd6;color:#fff;border-color:#1d5fd6}small{color:#666}";

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\"><title>{}</title><style>{STYLE}</style></head>\
<body><main><section>{body}</section><p><small>Alpenglow · Odoo gateway</small></p></main></body></html>\n",
        escape(title)
    )
}

/// What the consent form shows.
pub struct Consent<'a> {
    pub client_name: &'a str,
    pub client_host: &'a str,
    /// The name comes from the client's own host (metadata document), not
    /// from what it said about itself (registration).
    pub verified: bool,
    pub requested: ScopeSet,
    /// Ticked boxes (all requested ones on first display).
    pub ticked: ScopeSet,
    /// The authorization request, carried back as hidden fields.
    pub fields: Vec<(&'static str, String)>,
    pub csrf: &'a str,
    pub login: &'a str,
    pub error: Option<&'a str>,
    pub action: &'a str,
    pub resource: &'a str,
}

/// The sign-in and consent form.
pub fn consent(c: &Consent<'_>) -> String {
    let mut body = String::new();
    body.push_str(&format!("<h1>Connect {} to Odoo</h1>", escape(c.client_name)));
    let vouched = if c.verified {
        "its name is published by that host"
    } else {
        "it registered itself: its name is not verified"
    };
    body.push_str(&format!(
        "<p class=\"host\">From <strong>{}</strong> ({vouched}).<br>It will act as you in Odoo through <strong>{}</strong>.</p>",
        escape(c.client_host),
        escape(c.resource)
    ));
    if let Some(error) = c.error {
        body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>", escape(error)));
    }
    body.push_str(&format!("<form method=\"post\" action=\"{}\">", escape(c.action)));
    for (name, value) in &c.fields {
        body.push_str(&format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value)));
    }
    body.push_str(&format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", escape(c.csrf)));
    body.push_str("<p>It asks to:</p>");
    for scope in c.requested.iter() {
        let checked = if c.ticked.contains(scope) { " checked" } else { "" };
        body.push_str(&format!(
            "<label class=\"scope\"><input type=\"checkbox\" name=\"grant_scope\" value=\"{}\"{checked}><span><strong>{}</strong>: {}</span></label>",
            scope.as_str(),
            scope.as_str(),
            escape(TokenScope::meaning(scope))
        ));
    }
    body.push_str(
        "<p><small>What you may do in Odoo and what the administrator allows still apply: a scope never adds rights.</small></p>",
    );
    body.push_str(&format!(
        "<label for=\"login\">Your Odoo login</label><input type=\"text\" id=\"login\" name=\"login\" value=\"{}\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\">\
<small>Your user name or e-mail; needed for Odoo 16–18.</small>",
        escape(c.login)
    ));
    body.push_str(
        "<label for=\"api_key\">Your Odoo API key</label><input type=\"password\" id=\"api_key\" name=\"api_key\" autocomplete=\"off\" required>\
<small>In Odoo: My Profile › Account Security › New API Key. It is kept sealed and used only for this connection.</small>",
    );
    body.push_str(
        "<div class=\"buttons\"><button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button>\
<button type=\"submit\" class=\"approve\" name=\"decision\" value=\"approve\">Approve</button></div></form>",
    );
    document(&format!("Connect {} to Odoo", c.client_name), &body)
}

/// A page with a message and nothing to submit.
pub fn message(title: &str, text: &str) -> String {
    document(title, &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_from_outside_is_escaped_and_the_key_never_shown() {
        let page = consent(&Consent {
            client_name: "<script>alert(1)</script>",
            client_host: "evil\" onmouseover=\"x",
            verified: false,
            requested: ScopeSet::all(),
            ticked: ScopeSet::of(&[TokenScope::Read]),
            fields: vec![("state", "\"><img src=x>".into())],
            csrf: "t",
            login: "a\"b",
            error: Some("<b>bad</b>"),
            action: "/alpenglow/oauth/authorize",
            resource: "https://a.example/alpenglow/mcp",
        });
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("\"><img"), "{page}");
        assert!(!page.contains("<b>bad</b>"));
        assert!(page.contains("value=\"odoo.read\" checked"));
        assert!(page.contains("value=\"odoo.write\">"));
        assert!(page.contains("type=\"password\""));
        assert!(!page.contains("<script"), "no JavaScript");
        assert!(page.contains("width=device-width"));
    }
}
