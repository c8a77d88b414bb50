//! What a record's name is made of, and what Odoo searches when a domain
//! names `display_name` (or a relation by name): pure tables, so the rules
//! that keep names from leaking denied fields or hidden records can be
//! checked without Odoo.
//!
//! A display name is more than the `name` field: a product's shows its
//! internal reference (`[FURN_0001] Desk`), a contact's its company's name,
//! an order line's its order's. And searching `display_name` searches more
//! than it shows: a partner's name search also matches email, reference and
//! tax id (`_rec_names_search`). A name may be shown only when every field
//! it is made of is allowed; a name search is allowed only when every field
//! it searches is. Models not listed use `name`.

/// Fields a model's display name is built from. Those that are relations
/// (`parent_id`, `order_id`) embed the related record's own name.
pub fn name_fields(model: &str) -> &'static [&'static str] {
    match model {
        "res.partner" | "product.category" | "res.partner.category" => &["name", "parent_id"],
        "product.product" | "product.template" => &["name", "default_code"],
        "sale.order.line" => &["name", "order_id"],
        _ => &["name"],
    }
}

/// Fields that hold a record's composed name, like `display_name` (a
/// contact's `complete_name` embeds its company's name): shown only when
/// the display name may be.
pub fn composed_name_fields(model: &str) -> &'static [&'static str] {
    match model {
        "res.partner" | "product.category" => &["display_name", "complete_name"],
        _ => &["display_name"],
    }
}

/// Fields Odoo's `display_name` search looks at (its `_rec_names_search`,
/// or the name fields).
pub fn name_search_fields(model: &str) -> &'static [&'static str] {
    match model {
        "res.partner" => &["complete_name", "name", "email", "ref", "vat", "company_registry"],
        "product.product" | "product.template" => &["name", "default_code", "barcode"],
        _ => &["name"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_what_odoo_shows_and_searches() {
        assert!(name_fields("product.product").contains(&"default_code"));
        assert!(name_fields("res.partner").contains(&"parent_id"));
        assert_eq!(name_fields("x_custom.model"), ["name"]);
        assert!(name_search_fields("res.partner").contains(&"email"));
        for model in ["res.partner", "product.product", "sale.order"] {
            assert!(name_fields(model).contains(&"name"), "{model}");
        }
    }
}
