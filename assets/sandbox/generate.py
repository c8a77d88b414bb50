#!/usr/bin/env python3
"""Builds the sandbox's sample dataset (data.json) and its field schemas
(schema-19.json, schema-17.json) for Alpenglow's Odoo-compatible sandbox.

Deterministic: a fixed seed and fixed dates, so re-running it gives the same
files. The schemas are the subset of real Odoo `fields_get` output (from
../../../shared/odoo-schema/<version>/) for the fields the sandbox serves.
Run from anywhere: python3 assets/sandbox/generate.py [path-to-odoo-schema]
"""
import hashlib
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "odoo-schema")
rng = random.Random(20260101)

# ---------------------------------------------------------------- served fields
MAGIC = ["id", "display_name", "create_date", "write_date"]
SERVED = {
    "res.company": ["name", "partner_id", "currency_id", "country_id", "email", "phone", "sequence", "active"],
    "res.country": ["name", "code", "phone_code"],
    "res.currency": ["name", "symbol", "active"],
    "res.users": ["name", "login", "partner_id", "company_id", "company_ids", "lang", "tz", "share", "active", "email"],
    "res.partner": [
        "name", "complete_name", "is_company", "company_type", "type", "parent_id", "child_ids", "country_id",
        "company_id", "active", "email", "phone", "street", "city", "zip", "website", "function", "ref", "vat",
        "category_id", "user_ids", "customer_rank", "supplier_rank", "lang", "tz", "comment", "color",
        "partner_latitude", "partner_longitude", "credit_limit", "image_128",
    ],
    "res.partner.category": ["name", "color", "parent_id", "child_ids", "active"],
    "product.category": ["name", "complete_name", "parent_id", "child_id"],
    "product.product": [
        "name", "default_code", "list_price", "standard_price", "categ_id", "type", "company_id", "active",
        "sale_ok", "barcode",
    ],
    "sale.order": [
        "name", "partner_id", "user_id", "company_id", "currency_id", "state", "date_order", "amount_untaxed",
        "amount_tax", "amount_total", "order_line", "note", "client_order_ref",
    ],
    "sale.order.line": [
        "name", "order_id", "product_id", "product_uom_qty", "price_unit", "price_subtotal", "price_tax",
        "price_total", "company_id", "currency_id", "sequence", "state",
    ],
    "ir.model": ["model", "name", "transient"],
}

# ir.config_parameter is not in the recorded schemas: its two fields, written
# with the attributes Odoo 19 sends for a stored required char/text field.
def _param_field(name, ftype, string):
    return {
        "change_default": False, "company_dependent": False, "default_export_compatible": False, "depends": [],
        "exportable": True, "groupable": True, "manual": False, "name": name, "readonly": False, "required": True,
        "searchable": True, "sortable": True, "store": True, "string": string, "translate": False, "trim": True,
        "type": ftype,
    }


def build_schema(version):
    out = {}
    for model, fields in SERVED.items():
        with open(os.path.join(SCHEMA_SRC, version, model + ".json")) as f:
            full = json.load(f)
        subset = {}
        for name in MAGIC + fields:
            if name in full:
                subset[name] = full[name]
            else:
                print(f"note: {version} {model}.{name} not in Odoo's schema, not served", file=sys.stderr)
        out[model] = subset
    params = {}
    for name, ftype, string in [("key", "char", "Key"), ("value", "text", "Value")]:
        params[name] = _param_field(name, ftype, string)
    ids = json.load(open(os.path.join(SCHEMA_SRC, version, "ir.model.json")))
    for name in MAGIC:
        params[name] = ids[name]
    if version == "17":
        for f in params.values():
            f.pop("groupable", None)
    out["ir.config_parameter"] = params
    return out


# ---------------------------------------------------------------- data
STAMP = "2025-06-01 09:00:00"


def key_for(login):
    return hashlib.sha1(("alpenglow-sandbox-" + login).encode()).hexdigest()


COUNTRIES = [
    ("AR", "Argentina", 54), ("AT", "Austria", 43), ("AU", "Australia", 61), ("BE", "Belgium", 32),
    ("BR", "Brazil", 55), ("CA", "Canada", 1), ("CH", "Switzerland", 41), ("CL", "Chile", 56),
    ("CN", "China", 86), ("CZ", "Czech Republic", 420), ("DE", "Germany", 49), ("DK", "Denmark", 45),
    ("EG", "Egypt", 20), ("ES", "Spain", 34), ("FI", "Finland", 358), ("FR", "France", 33),
    ("GB", "United Kingdom", 44), ("GR", "Greece", 30), ("IE", "Ireland", 353), ("IN", "India", 91),
    ("IT", "Italy", 39), ("JP", "Japan", 81), ("KE", "Kenya", 254), ("LI", "Liechtenstein", 423),
    ("LU", "Luxembourg", 352), ("MA", "Morocco", 212), ("ME", "Montenegro", 382), ("MX", "Mexico", 52),
    ("NL", "Netherlands", 31), ("NO", "Norway", 47), ("NZ", "New Zealand", 64), ("PL", "Poland", 48),
    ("PT", "Portugal", 351), ("SE", "Sweden", 46), ("SG", "Singapore", 65), ("SM", "San Marino", 378),
    ("TR", "Turkey", 90), ("US", "United States", 1), ("ZA", "South Africa", 27),
]


def main():
    data = {"users": [], "models": {}}
    m = data["models"]

    def stamp(rec, created=STAMP):
        rec.setdefault("create_date", created)
        rec.setdefault("write_date", created)
        return rec

    m["res.currency"] = [stamp({"id": 1, "name": "USD", "symbol": "$", "active": True}),
                         stamp({"id": 2, "name": "EUR", "symbol": "€", "active": True})]
    m["res.country"] = [stamp({"id": i + 1, "code": c, "name": n, "phone_code": p}) for i, (c, n, p) in enumerate(COUNTRIES)]
    cid = {c: i + 1 for i, (c, _, _) in enumerate(COUNTRIES)}

    m["res.company"] = [
        stamp({"id": 1, "name": "YourCompany", "partner_id": 1, "currency_id": 1, "country_id": cid["US"],
               "email": "info@yourcompany.example.com", "phone": "+1 555-555-5556", "sequence": 0, "active": True}),
        stamp({"id": 2, "name": "My US Company", "partner_id": 4, "currency_id": 1, "country_id": cid["US"],
               "email": "info@us.example.com", "phone": "+1 555-555-0199", "sequence": 10, "active": True}),
    ]
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    partners = []

    def partner(**kw):
        rec = {"active": True, "is_company": False, "type": "contact", "parent_id": False, "company_id": False,
               "country_id": False, "email": False, "phone": False, "street": False, "city": False, "zip": False,
               "website": False, "function": False, "ref": False, "vat": False, "category_id": [],
               "customer_rank": 0, "supplier_rank": 0, "lang": "en_US", "tz": "Europe/Brussels", "comment": False,
               "color": 0, "partner_latitude": 0.0, "partner_longitude": 0.0, "credit_limit": 0.0,
               "image_128": False}
        rec.update(kw)
        partners.append(stamp(rec))
        return rec

    partner(id=1, name="YourCompany", is_company=True, company_id=1, country_id=cid["US"],
            email="info@yourcompany.example.com", city="San Francisco")
    partner(id=2, name="OdooBot", active=False, email="odoobot@example.com", image_128=png)
    partner(id=3, name="Mitchell Admin", parent_id=1, company_id=1, country_id=cid["US"],
            email="admin@yourcompany.example.com", phone="+1 555-555-5555", image_128=png, city="San Francisco")
    partner(id=4, name="My US Company", is_company=True, company_id=2, country_id=cid["US"],
            email="info@us.example.com", city="New York")
    partner(id=5, name="Sally Sales", parent_id=1, company_id=1, country_id=cid["US"],
            email="sales@yourcompany.example.com", image_128=png)
    partner(id=6, name="Victor Viewer", parent_id=1, company_id=1, country_id=cid["BE"],
            email="viewer@yourcompany.example.com", image_128=png)

    m["res.partner.category"] = [stamp(r) for r in [
        {"id": 1, "name": "Vendor", "color": 1, "parent_id": False, "active": True},
        {"id": 2, "name": "Prospects", "color": 2, "parent_id": False, "active": True},
        {"id": 3, "name": "Employees", "color": 3, "parent_id": False, "active": True},
        {"id": 4, "name": "Consulting Services", "color": 4, "parent_id": 6, "active": True},
        {"id": 5, "name": "Services", "color": 5, "parent_id": False, "active": True},
        {"id": 6, "name": "Desk Manufacturers", "color": 6, "parent_id": 1, "active": True},
        {"id": 7, "name": "Office Supplies", "color": 7, "parent_id": 1, "active": True},
        {"id": 8, "name": "Gold", "color": 8, "parent_id": False, "active": True},
        {"id": 9, "name": "Former Partners", "color": 9, "parent_id": False, "active": False},
    ]]

    first = ["Addison", "Brandon", "Colleen", "Douglas", "Edwin", "Floyd", "Gabriel", "Hannah", "Isabel", "Jesse",
             "Kim", "Lorraine", "Morgan", "Nina", "Oscar", "Paul", "Quinn", "Rachel", "Soren", "Tina", "Ursula",
             "Vera", "Walter", "Xavier", "Yara", "Zoe", "Aurelie", "Bruno", "Chiara", "Dmitri"]
    last = ["Olson", "Freeman", "Diaz", "Fletcher", "Hansen", "Steward", "Murphy", "Keller", "Rossi", "Dubois",
            "Nakamura", "Schmidt", "Jansen", "Novak", "Silva", "Moreau", "Berg", "Costa", "Meyer", "Lambert"]
    prefix = ["Azure", "Deco", "Gemini", "Ready", "Lumber", "Wood", "Jackson", "Alpine", "Nordic", "Summit",
              "Harbor", "Granite", "Cedar", "Maple", "Polar", "Sierra", "Coastal", "Urban", "Vertex", "Meadow",
              "Silver", "Golden", "Crystal", "Iron", "Blue", "Red", "Green", "Bright", "Swift", "Noble",
              "Pioneer", "Atlas", "Orbit", "Zenith", "Beacon", "Canyon", "Delta", "Echo", "Falcon", "Glacier"]
    suffix = ["Interior", "Addict", "Furniture", "Mat", "Inc", "Corner", "Group", "Works", "Trading", "Systems",
              "Labs", "Supplies", "Partners", "Design", "Logistics", "Studio", "Holdings", "Industries"]
    cities = {"US": ["Fremont", "Boston", "Chicago", "Austin", "Denver"], "BE": ["Brussels", "Namur", "Ghent"],
              "FR": ["Paris", "Lyon", "Lille"], "DE": ["Berlin", "Munich"], "CH": ["Geneva", "Zurich"],
              "SM": ["San Marino"], "LI": ["Vaduz"], "ME": ["Podgorica"], "NL": ["Amsterdam"],
              "GB": ["London", "Leeds"], "ES": ["Madrid"], "IT": ["Milan"], "JP": ["Tokyo"], "MX": ["Monterrey"]}
    ccodes = list(cities.keys())
    weights = [8, 4, 3, 2, 2, 1, 1, 1, 1, 2, 1, 1, 1, 1]
    next_id = 7
    companies = []
    used = set()
    for i in range(42):
        while True:
            name = f"{rng.choice(prefix)} {rng.choice(suffix)}"
            if name not in used:
                used.add(name)
                break
        code = rng.choices(ccodes, weights)[0]
        comp = rng.choices([False, 1, 2], [6, 2, 2])[0]
        slug = name.lower().replace(" ", "")
        rec = partner(id=next_id, name=name, is_company=True, company_id=comp, country_id=cid[code],
                      city=rng.choice(cities[code]), email=f"info@{slug}.example.com",
                      phone=f"+{rng.randint(1, 49)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                      street=f"{rng.randint(1, 250)} {rng.choice(last)} Street", zip=str(rng.randint(1000, 99999)),
                      website=f"https://{slug}.example.com", customer_rank=rng.choice([0, 1, 1, 2, 5]),
                      supplier_rank=rng.choice([0, 0, 1]), color=rng.randint(0, 11),
                      category_id=sorted(rng.sample([1, 2, 4, 5, 6, 7, 8], rng.choice([0, 1, 1, 2]))),
                      credit_limit=float(rng.choice([0, 0, 5000, 10000])), active=(i % 17 != 16),
                      vat=(f"{code}{rng.randint(10000000, 99999999)}" if i % 3 == 0 else False))
        companies.append(rec)
        next_id += 1
    # Contacts: about 150, each under a company (a few without one).
    while next_id <= 200:
        parent = rng.choice(companies + [None] * 3)
        fn, ln = rng.choice(first), rng.choice(last)
        kw = dict(id=next_id, name=f"{fn} {ln}", email=f"{fn.lower()}.{ln.lower()}{next_id}@example.com",
                  phone=f"+1 555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                  function=rng.choice([False, "Sales Manager", "Buyer", "CEO", "Accountant", "Engineer"]),
                  active=(next_id % 23 != 0), color=rng.randint(0, 11),
                  type=rng.choices(["contact", "invoice", "delivery", "other"], [14, 2, 2, 1])[0])
        if parent:
            kw.update(parent_id=parent["id"], company_id=parent["company_id"], country_id=parent["country_id"],
                      city=parent["city"], category_id=sorted(rng.sample([2, 3, 5, 8], rng.choice([0, 0, 1]))))
        else:
            code = rng.choices(ccodes, weights)[0]
            kw.update(country_id=cid[code], city=rng.choice(cities[code]), customer_rank=1)
        partner(**kw)
        next_id += 1
    m["res.partner"] = partners

    def user(uid, login, name, pid, company, companies_, role, share=False):
        m.setdefault("res.users", []).append(stamp({
            "id": uid, "login": login, "name": name, "partner_id": pid, "company_id": company,
            "company_ids": companies_, "lang": "en_US", "tz": "Europe/Brussels", "share": share,
            "active": uid != 1, "email": next(p["email"] for p in partners if p["id"] == pid)}))
        if role:
            data["users"].append({"login": login, "uid": uid, "key": key_for(login), "role": role})

    user(1, "__system__", "OdooBot", 2, 1, [1, 2], None)
    user(2, "admin", "Mitchell Admin", 3, 1, [1, 2], "admin")
    user(6, "sales", "Sally Sales", 5, 1, [1, 2], "sales")
    user(7, "viewer", "Victor Viewer", 6, 1, [1], "viewer")

    m["product.category"] = [stamp(r) for r in [
        {"id": 1, "name": "All", "parent_id": False},
        {"id": 2, "name": "Saleable", "parent_id": 1},
        {"id": 3, "name": "Services", "parent_id": 1},
        {"id": 4, "name": "Office Furniture", "parent_id": 2},
        {"id": 5, "name": "Accessories", "parent_id": 2},
    ]]
    products = [
        ("FURN_0001", "Office Chair Black", 4, 120.5, "consu"), ("FURN_0002", "Large Desk", 4, 1799.0, "consu"),
        ("FURN_0003", "Corner Desk Right Sit", 4, 147.0, "consu"), ("FURN_0004", "Cabinet with Doors", 4, 140.0, "consu"),
        ("FURN_0005", "Drawer Black", 4, 25.0, "consu"), ("FURN_0006", "Storage Box", 5, 15.8, "consu"),
        ("FURN_0007", "Desk Combination", 4, 450.0, "consu"), ("FURN_0008", "Acoustic Bloc Screens", 4, 295.0, "consu"),
        ("FURN_0009", "Large Cabinet", 4, 320.0, "consu"), ("FURN_0010", "Flipover", 5, 1950.0, "consu"),
        ("ACC_0001", "Desk Organizer", 5, 5.1, "consu"), ("ACC_0002", "Desk Pad", 5, 1.98, "consu"),
        ("ACC_0003", "Monitor Stand", 5, 3.19, "consu"), ("ACC_0004", "LED Lamp", 5, 0.9, "consu"),
        ("ACC_0005", "Whiteboard Pen", 5, 1.2, "consu"), ("SERV_0001", "Design Consultation", 3, 90.0, "service"),
        ("SERV_0002", "Installation", 3, 75.0, "service"), ("SERV_0003", "Furniture Assembly", 3, 45.0, "service"),
        ("SERV_0004", "Annual Maintenance", 3, 600.0, "service"), ("SERV_0005", "Delivery Express", 3, 30.0, "service"),
        (False, "Customizable Desk (US only)", 4, 750.0, "consu"), ("OLD_0001", "Discontinued Stool", 4, 60.0, "consu"),
    ]
    m["product.product"] = []
    for i, (code, name, categ, price, ptype) in enumerate(products):
        m["product.product"].append(stamp({
            "id": i + 1, "name": name, "default_code": code, "list_price": price,
            "standard_price": round(price * 0.6, 2), "categ_id": categ, "type": ptype,
            "company_id": 2 if code is False else False, "active": code != "OLD_0001", "sale_ok": True,
            "barcode": (f"60{i + 1:011d}" if ptype == "consu" and code else False)}))

    orders, lines = [], []
    line_id = 1
    cust = [p for p in partners if p["active"] and p["id"] > 6]
    for i in range(60):
        oid = i + 1
        company = 1 if i % 3 else 2
        candidates = [p for p in cust if p["company_id"] in (False, company)]
        part = rng.choice(candidates)
        month = (i * 12) // 60  # spread over 12 months
        y, mo = (2025, month + 1)
        day = rng.randint(1, 28)
        date = f"{y}-{mo:02d}-{day:02d} {rng.randint(8, 17):02d}:{rng.choice([0, 15, 30, 45]):02d}:00"
        state = rng.choices(["draft", "sent", "sale", "cancel"], [3, 2, 8, 1])[0]
        if oid == 1:
            state = "sale"
        orders.append(stamp({
            "id": oid, "name": f"S{oid:05d}", "partner_id": part["id"], "user_id": rng.choice([2, 2, 6]),
            "company_id": company, "currency_id": 1, "state": state, "date_order": date,
            "note": False, "client_order_ref": (f"PO-{rng.randint(1000, 9999)}" if i % 4 == 0 else False),
        }, created=date))
        for seq in range(rng.randint(1, 4)):
            prod = rng.choice([p for p in m["product.product"] if p["company_id"] in (False, company) and p["active"]])
            qty = float(rng.choice([1, 1, 2, 3, 5, 10]))
            lines.append(stamp({
                "id": line_id, "order_id": oid, "product_id": prod["id"], "name": prod["name"],
                "product_uom_qty": qty, "price_unit": prod["list_price"], "company_id": company,
                "currency_id": 1, "sequence": 10 * (seq + 1)}, created=date))
            line_id += 1
    # Sale order 7 is company 2's, so the viewer (company 1 only) is refused it.
    assert orders[6]["company_id"] == 2
    m["sale.order"] = orders
    m["sale.order.line"] = lines

    ir = json.load(open(os.path.join(SCHEMA_SRC, "19", "_ir_model.json")))
    # Only the models the sandbox serves, as a real Odoo lists only models it
    # has: a listed model that then fails fields_get would let the dashboard's
    # model picker offer what registration refuses.
    served = set(SERVED) | {"ir.config_parameter"}
    m["ir.model"] = [stamp({"id": r["id"], "model": r["model"], "name": r["name"], "transient": r["transient"]})
                     for r in ir if r["model"] in served]
    m["ir.config_parameter"] = [stamp(r) for r in [
        {"id": 1, "key": "web.base.url", "value": "http://localhost:8069"},
        {"id": 2, "key": "database.uuid", "value": "5f1c2a9e-0000-4000-8000-a1b2c3d4e5f6"},
    ]]
    data["model_descriptions"] = {r["model"]: r["name"] for r in ir if r["model"] in m or r["model"] == "res.users"}
    data["model_descriptions"]["ir.config_parameter"] = "System Parameter"

    with open(os.path.join(HERE, "data.json"), "w") as f:
        json.dump(data, f, indent=0, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    for version in ["19", "17"]:
        with open(os.path.join(HERE, f"schema-{version}.json"), "w") as f:
            json.dump(build_schema(version), f, indent=0, sort_keys=True, ensure_ascii=False)
            f.write("\n")


if __name__ == "__main__":
    main()
