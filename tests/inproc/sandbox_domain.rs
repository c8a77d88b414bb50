//! Domain evaluation in the sandbox, over real HTTP (JSON-2): every operator,
//! dotted paths through many2one and x2many fields, nested `&` `|` `!`,
//! `active` filtering, and Odoo's errors for malformed domains.

use crate::common::http;

use alpenglow::sandbox::{RunningSandbox, SandboxOptions, start};
use serde_json::{Value, json};

fn call(sb: &RunningSandbox, model: &str, method: &str, body: Value) -> (u16, Value) {
    let key = sb.user("admin").expect("admin").key;
    let auth = format!("bearer {key}");
    let resp = http::post_json(sb.addr(), &format!("/json/2/{model}/{method}"), &[("Authorization", &auth)], &body);
    (resp.status, resp.json())
}

fn ids(sb: &RunningSandbox, model: &str, domain: Value) -> Vec<i64> {
    let (status, body) = call(sb, model, "search", json!({"domain": domain, "order": "id"}));
    assert_eq!(status, 200, "{domain}: {body}");
    body.as_array().expect("ids").iter().filter_map(Value::as_i64).collect()
}

fn count(sb: &RunningSandbox, model: &str, domain: Value) -> usize {
    ids(sb, model, domain).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operator_evaluates_like_odoo() {
    let sb = start(SandboxOptions::default()).await.expect("start");
    let partners = count(&sb, "res.partner", json!([]));
    assert!(partners > 150);

    // = and !=, including false meaning "not set" and != including unset values.
    assert_eq!(ids(&sb, "res.partner", json!([["name", "=", "Mitchell Admin"]])), vec![3]);
    let companies = count(&sb, "res.partner", json!([["is_company", "=", true]]));
    assert_eq!(companies + count(&sb, "res.partner", json!([["is_company", "!=", true]])), partners);
    let no_email = count(&sb, "res.partner", json!([["function", "=", false]]));
    assert_eq!(no_email + count(&sb, "res.partner", json!([["function", "!=", false]])), partners);
    assert_eq!(
        count(&sb, "res.partner", json!([["function", "!=", "CEO"]]))
            + count(&sb, "res.partner", json!([["function", "=", "CEO"]])),
        partners
    );

    // < <= > >= on floats, and on datetimes given as dates (whole day).
    let products = count(&sb, "product.product", json!([]));
    let cheap = count(&sb, "product.product", json!([["list_price", "<", 100]]));
    assert_eq!(cheap + count(&sb, "product.product", json!([["list_price", ">=", 100]])), products);
    assert!(
        count(&sb, "product.product", json!([["list_price", "<=", 1.2]]))
            > count(&sb, "product.product", json!([["list_price", "<", 1.2]]))
    );
    assert_eq!(count(&sb, "product.product", json!([["list_price", ">", 1e9]])), 0);
    let orders = count(&sb, "sale.order", json!([]));
    let h1 = count(&sb, "sale.order", json!([["date_order", "<=", "2025-06-30"]]));
    let h2 = count(&sb, "sale.order", json!([["date_order", ">", "2025-06-30"]]));
    assert_eq!(h1 + h2, orders);
    assert!(h1 > 0 && h2 > 0);

    // =? : false means "no condition".
    assert_eq!(count(&sb, "res.partner", json!([["parent_id", "=?", false]])), partners);
    assert_eq!(ids(&sb, "res.partner", json!([["id", "=?", 3]])), vec![3]);

    // in / not in, with false standing for "unset".
    assert_eq!(ids(&sb, "res.partner", json!([["id", "in", [1, 3, 999999]]])), vec![1, 3]);
    assert_eq!(count(&sb, "res.partner", json!([["id", "not in", [1, 3]]])), partners - 2);
    let top = count(&sb, "res.partner", json!([["parent_id", "in", [false]]]));
    assert_eq!(top + count(&sb, "res.partner", json!([["parent_id", "not in", [false]]])), partners);

    // like / ilike / not like / not ilike / =like / =ilike.
    assert_eq!(ids(&sb, "res.partner", json!([["name", "like", "Mitchell"]])), vec![3]);
    assert!(ids(&sb, "res.partner", json!([["name", "like", "mitchell"]])).is_empty());
    assert_eq!(ids(&sb, "res.partner", json!([["name", "ilike", "mitchell"]])), vec![3]);
    assert_eq!(count(&sb, "res.partner", json!([["name", "not ilike", "mitchell"]])), partners - 1);
    assert_eq!(count(&sb, "res.partner", json!([["name", "not like", "Mitchell"]])), partners - 1);
    assert_eq!(ids(&sb, "res.partner", json!([["name", "=like", "Mitch%"]])), vec![3]);
    assert!(ids(&sb, "res.partner", json!([["name", "=like", "mitch%"]])).is_empty());
    assert_eq!(ids(&sb, "res.partner", json!([["name", "=ilike", "mitch_ll admin"]])), vec![3]);

    // child_of / parent_of on the hierarchy (product categories: All > Saleable > Office Furniture).
    assert_eq!(ids(&sb, "product.category", json!([["id", "child_of", 2]])), vec![2, 4, 5]);
    assert_eq!(ids(&sb, "product.category", json!([["id", "parent_of", 4]])), vec![1, 2, 4]);
    let furniture = count(&sb, "product.product", json!([["categ_id", "child_of", 2]]));
    assert_eq!(furniture + count(&sb, "product.product", json!([["categ_id", "=", 3]])), products);
    assert_eq!(ids(&sb, "res.partner", json!([["id", "child_of", 1]])), vec![1, 3, 5, 6]);

    // any / not any through one2many and many2one.
    assert_eq!(ids(&sb, "res.partner", json!([["child_ids", "any", [["name", "=", "Mitchell Admin"]]]])), vec![1]);
    let with_children = count(&sb, "res.partner", json!([["child_ids", "any", []]]));
    assert_eq!(with_children + count(&sb, "res.partner", json!([["child_ids", "not any", []]])), partners);
    assert!(count(&sb, "sale.order", json!([["partner_id", "any", [["is_company", "=", true]]]])) > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dotted_paths_nesting_and_active() {
    let sb = start(SandboxOptions::default()).await.expect("start");
    let partners = count(&sb, "res.partner", json!([]));
    // many2one path.
    let be = ids(&sb, "res.partner", json!([["country_id.code", "=", "BE"]]));
    assert!(be.contains(&6));
    assert_eq!(
        ids(&sb, "res.partner", json!([["country_id.code", "in", ["BE", "US", "FR"]]])).len(),
        count(
            &sb,
            "res.partner",
            json!([["country_id", "in", ids(&sb, "res.country", json!([["code", "in", ["BE", "US", "FR"]]]))]])
        )
    );
    // Two hops: orders of customers in the US.
    let us_orders = count(&sb, "sale.order", json!([["partner_id.country_id.code", "=", "US"]]));
    assert!(us_orders > 0 && us_orders < count(&sb, "sale.order", json!([])));
    // x2many path; a negative operator means "no related record matches".
    let tagged_vendor = count(&sb, "res.partner", json!([["category_id.name", "=", "Vendor"]]));
    assert!(tagged_vendor > 0);
    assert_eq!(tagged_vendor + count(&sb, "res.partner", json!([["category_id.name", "!=", "Vendor"]])), partners);
    // Nested prefix operators.
    let a = count(
        &sb,
        "res.partner",
        json!([
            "&",
            ["is_company", "=", true],
            "|",
            ["name", "ilike", "a"],
            ["country_id.code", "in", ["US", "BE", "FR"]]
        ]),
    );
    let b = count(
        &sb,
        "res.partner",
        json!([
            "!",
            "|",
            ["is_company", "=", false],
            "&",
            ["name", "not ilike", "a"],
            ["country_id.code", "not in", ["US", "BE", "FR"]]
        ]),
    );
    assert_eq!(a, b);
    assert!(a > 0);
    assert_eq!(count(&sb, "res.partner", json!([[1, "=", 1]])), partners);
    assert_eq!(count(&sb, "res.partner", json!([[0, "=", 1]])), 0);
    // Archived records only when asked.
    let archived = count(&sb, "res.partner", json!([["active", "=", false]]));
    assert!(archived > 0);
    let (_, all) = call(&sb, "res.partner", "search_count", json!({"domain": [], "context": {"active_test": false}}));
    assert_eq!(all.as_u64(), Some((partners + archived) as u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_domains_get_odoos_errors() {
    let sb = start(SandboxOptions::default()).await.expect("start");
    let cases = [
        (json!([["name", "ilike"]]), 500, "builtins.ValueError", "invalid item"),
        (json!([["name", "~~", "a"]]), 500, "builtins.ValueError", "Invalid operator"),
        (json!("name = a"), 500, "builtins.TypeError", "invalid argument type"),
        (json!([["no_such_field", "=", 1]]), 500, "builtins.ValueError", "Invalid field res.partner.no_such_field"),
        (json!([["country_id.nope", "=", 1]]), 500, "builtins.ValueError", "Invalid field res.country.nope"),
        (json!(["&", ["name", "=", "x"]]), 500, "builtins.ValueError", "lack operands"),
        (json!([["id", "in", 5]]), 500, "builtins.ValueError", "needs a list"),
    ];
    for (domain, status, name, text) in cases {
        let (got, body) = call(&sb, "res.partner", "search_count", json!({ "domain": domain }));
        assert_eq!(got, status, "{domain}: {body}");
        assert_eq!(body["name"], name, "{domain}: {body}");
        assert!(body["message"].as_str().unwrap_or("").contains(text), "{domain}: {body}");
    }
    let (status, body) = call(&sb, "res.partner", "search_read", json!({"domain": [], "order": "name; drop table x"}));
    assert_eq!((status, body["name"].as_str()), (422, Some("odoo.exceptions.UserError")));
}
