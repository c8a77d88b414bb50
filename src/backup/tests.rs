use super::*;
use crate::admin::AdminService;
use crate::audit::AuditEntry;
use crate::config::{ApiKey, CredentialDraft, ResourceDraft, Scope};
use serde_json::{Map, json};
use std::io::Write;

fn admin_in(dir: &Path) -> AdminService {
    AdminService::new(Store::open(dir).unwrap(), Default::default())
}

/// A resource, a credential and `audit` entries, each with both index keys.
fn populate(admin: &AdminService, audit: usize) {
    admin.set_setting("max_search_limit", "2000").unwrap();
    admin.add_resources(vec![ResourceDraft::new("res.partner", false)]).unwrap();
    admin
        .create_credential(CredentialDraft {
            label: "t".into(),
            user_id: 2,
            login: "admin".into(),
            scope: Scope::Full,
            expires_on: None,
            company_id: None,
            key: ApiKey::parse("0123456789abcdef0123456789abcdef01234567").unwrap(),
        })
        .unwrap();
    for i in 0..audit {
        let mut entry = AuditEntry::new("rest", "127.0.0.1".into(), "alpenglow_search");
        entry.model = Some(format!("model.{}", i % 3));
        entry.credential_id = Some(1 + (i % 2) as u64);
        admin.audit().append(entry).unwrap();
    }
    admin.store().flush().unwrap();
}

/// What the CLI does, over the functions the admin API calls: the
/// configuration, then each audit tree page by page with `limit`.
fn write_backup(admin: &AdminService, with_audit: bool, limit: usize, path: &Path) -> BTreeCounts {
    let config = config_snapshot(admin.catalog(), with_audit).unwrap();
    let header = file::Header {
        format: FORMAT,
        alpenglow_version: config.alpenglow_version.clone(),
        created_at: config.created_at.clone(),
        with_audit,
    };
    let mut writer = file::Writer::header(std::fs::File::create(path).unwrap(), &header).unwrap();
    for tree in CONFIG_TREES {
        writer.chunk(tree, &config.trees[*tree]).unwrap();
    }
    if with_audit {
        writer.chunk(AUDIT_CHECKPOINTS, &config.trees[AUDIT_CHECKPOINTS]).unwrap();
    }
    if let Some(until) = config.audit_until {
        for tree in std::iter::once(&AUDIT_TREE).chain(AUDIT_INDEXES) {
            let mut after: Option<String> = None;
            loop {
                let page = audit_page(admin.store(), tree, after.as_deref(), until, limit).unwrap();
                writer.chunk(tree, &page.entries).unwrap();
                match page.after {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
    }
    let counts = writer.counts().clone();
    writer.finish().unwrap();
    counts
}

type BTreeCounts = std::collections::BTreeMap<String, u64>;

#[test]
fn every_tree_is_either_backed_up_or_deliberately_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let admin = admin_in(&dir.path().join("data"));
    populate(&admin, 1);
    admin.sessions_list(true).unwrap();
    // Every OAuth table, as a server with connectors has them.
    let store = admin.store();
    store.table::<crate::oauth::records::RegisteredClient>().unwrap();
    store.table::<crate::oauth::records::Grant>().unwrap();
    store.table::<crate::oauth::records::AuthCode>().unwrap();
    store.table::<crate::oauth::records::IssuedToken>().unwrap();
    store.table::<crate::oauth::records::Signup>().unwrap();
    for name in admin.store().tree_names() {
        let known = CONFIG_TREES.contains(&name.as_str())
            || name == AUDIT_TREE
            || AUDIT_INDEXES.contains(&name.as_str())
            || name == AUDIT_CHECKPOINTS
            || NOT_BACKED_UP.contains(&name.as_str());
        assert!(known, "tree {name:?} is neither backed up nor listed as left out");
    }
    let counts = write_backup(&admin, true, PAGE, &dir.path().join("b.jsonl"));
    assert_eq!((counts["audit"], counts["audit_by_model"], counts["resources"]), (1, 1, 1));
}

#[test]
fn pages_stop_at_the_bound_fixed_at_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let admin = admin_in(dir.path());
    populate(&admin, 25);
    let until = config_snapshot(admin.catalog(), true).unwrap().audit_until.unwrap();
    // Written after the backup started: neither the entries nor their index keys are taken.
    populate_more(&admin, 10);
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = audit_page(admin.store(), AUDIT_TREE, after.as_deref(), until, 7).unwrap();
        assert!(page.entries.len() <= 7);
        ids.extend(page.entries.iter().map(|(k, _)| be_u64(&STANDARD.decode(k).unwrap())));
        match page.after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(ids.len(), 25);
    assert!(ids.windows(2).all(|w| w[0] < w[1]) && *ids.last().unwrap() == until);
    let mut index_keys = 0;
    let mut after: Option<String> = None;
    loop {
        let page = audit_page(admin.store(), "audit_by_model", after.as_deref(), until, 4).unwrap();
        for (k, _) in &page.entries {
            assert!(be_u64(&STANDARD.decode(k).unwrap()) <= until);
            index_keys += 1;
        }
        match page.after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(index_keys, 25);
    let e = audit_page(admin.store(), "credentials", None, until, 10).unwrap_err().to_string();
    assert!(e.contains("tree must be one of audit"), "{e}");
    let e = audit_page(admin.store(), AUDIT_TREE, None, until, MAX_PAGE + 1).unwrap_err().to_string();
    assert!(e.contains("limit must be between 1 and 10000"), "{e}");
}

fn populate_more(admin: &AdminService, n: usize) {
    for _ in 0..n {
        let mut entry = AuditEntry::new("rest", "127.0.0.1".into(), "alpenglow_read");
        entry.model = Some("late.model".into());
        entry.credential_id = Some(1);
        admin.audit().append(entry).unwrap();
    }
}

#[test]
fn a_streamed_backup_restores_every_tree_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.jsonl");
    let (config, audit) = {
        let admin = admin_in(&dir.path().join("source"));
        populate(&admin, 2500);
        let counts = write_backup(&admin, true, 1000, &file);
        assert_eq!(counts["audit"], 2500);
        let dump = |names: &[&str]| -> Vec<_> { names.iter().map(|n| admin.store().dump_tree(n).unwrap()).collect() };
        (dump(CONFIG_TREES), dump(&[AUDIT_TREE, AUDIT_INDEXES[0], AUDIT_INDEXES[1]]))
    };
    // Pages became chunks of at most a page: no line holds the whole log.
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.lines().count() > 7 + 3 * 3, "{} lines", text.lines().count());
    let target = dir.path().join("target");
    let restored = restore(Store::open(&target).unwrap(), &file).unwrap();
    assert_eq!((restored.format, restored.resources, restored.credentials), (2, 1, 1));
    assert_eq!((restored.with_audit, restored.audit_entries), (true, 2500));
    let store = Store::open(&target).unwrap();
    let dump = |names: &[&str]| -> Vec<_> { names.iter().map(|n| store.dump_tree(n).unwrap()).collect() };
    assert!(dump(CONFIG_TREES) == config, "configuration differs after restore");
    assert!(dump(&[AUDIT_TREE, AUDIT_INDEXES[0], AUDIT_INDEXES[1]]) == audit, "audit differs after restore");
}

/// A restore target with its own configuration and audit log, to see that
/// a refused file leaves it as it was.
fn target_with_state(dir: &Path) -> Vec<crate::store::RawEntries> {
    let admin = admin_in(dir);
    admin.set_setting("max_search_limit", "777").unwrap();
    populate_more(&admin, 3);
    admin.store().flush().unwrap();
    let names = CONFIG_TREES.iter().chain([&AUDIT_TREE]);
    names.map(|n| admin.store().dump_tree(n).unwrap()).collect()
}

#[test]
fn a_cut_or_damaged_file_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.jsonl");
    {
        let admin = admin_in(&dir.path().join("source"));
        populate(&admin, 1500);
        write_backup(&admin, true, 1000, &file);
    }
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let target = dir.path().join("target");
    let before = target_with_state(&target);
    let cases: Vec<(&str, String, &str)> = vec![
        ("no closing line", lines[..lines.len() - 1].join("\n"), "the backup is incomplete: it ends after line"),
        ("cut inside a line", format!("{}\n{}", lines[..8].join("\n"), &lines[8][..lines[8].len() / 2]), "is not JSON"),
        (
            "a chunk missing",
            lines.iter().enumerate().filter(|(i, _)| *i != 9).map(|(_, l)| *l).collect::<Vec<_>>().join("\n"),
            "the backup is incomplete: the",
        ),
        ("a foreign line", format!("{}\n{{\"tree\": \"sessions\", \"entries\": []}}\n", lines[0]), "neither a chunk"),
        ("bad base64", text.replacen("[[\"", "[[\"!!", 1), "is not a [key, value] pair of base64"),
    ];
    for (case, content, expected) in cases {
        std::fs::write(&file, content).unwrap();
        let e = restore(Store::open(&target).unwrap(), &file).unwrap_err();
        assert!(matches!(e, BackupError::Invalid(_)), "{case}: {e}");
        assert!(e.to_string().contains(expected), "{case}: {e}");
        let store = Store::open(&target).unwrap();
        let after: Vec<_> = CONFIG_TREES.iter().chain([&AUDIT_TREE]).map(|n| store.dump_tree(n).unwrap()).collect();
        assert!(after == before, "{case}: the refused file changed the store");
    }
}

#[test]
fn a_format_1_file_is_still_restored() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.json");
    {
        let admin = admin_in(&dir.path().join("source"));
        populate(&admin, 5);
        // The layout release 1 wrote: one document, every tree in full.
        let mut trees = Map::new();
        for name in CONFIG_TREES.iter().chain([&AUDIT_TREE]).chain(AUDIT_INDEXES) {
            trees.insert(name.to_string(), json!(file::encode_entries(&admin.store().dump_tree(name).unwrap())));
        }
        let document = json!({"alpenglow_backup": 1, "alpenglow_version": "0.1.0",
            "created_at": "2026-11-01T10:00:00Z", "with_audit": true, "trees": trees});
        std::fs::write(&file, document.to_string()).unwrap();
    }
    let target = dir.path().join("target");
    target_with_state(&target);
    let restored = restore(Store::open(&target).unwrap(), &file).unwrap();
    assert_eq!((restored.format, restored.created_at.as_str()), (1, "2026-11-01T10:00:00Z"));
    assert_eq!((restored.resources, restored.credentials, restored.audit_entries), (1, 1, 5));
    let admin = admin_in(&target);
    assert_eq!(admin.settings().unwrap().max_search_limit, 2000);
}

#[test]
fn without_the_audit_log_the_target_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.jsonl");
    {
        let admin = admin_in(&dir.path().join("source"));
        populate(&admin, 4);
        let counts = write_backup(&admin, false, PAGE, &file);
        assert!(!counts.contains_key(AUDIT_TREE));
    }
    let target = dir.path().join("target");
    target_with_state(&target);
    let restored = restore(Store::open(&target).unwrap(), &file).unwrap();
    assert_eq!((restored.with_audit, restored.audit_entries, restored.resources), (false, 3, 1));
}

#[test]
fn a_newer_format_and_a_foreign_file_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data")).unwrap();
    let file = dir.path().join("f");
    let refused = |content: &str| {
        let mut f = std::fs::File::create(&file).unwrap();
        f.write_all(content.as_bytes()).unwrap();
        restore(store.clone(), &file).unwrap_err().to_string()
    };
    let e = refused("{\"alpenglow_backup\": 3, \"alpenglow_version\": \"9.0.0\", \"with_audit\": false}\n");
    assert!(e.contains("format 3") && e.contains("9.0.0") && e.contains("upgrade Alpenglow"), "{e}");
    let e = refused("{\"hello\": 1}");
    assert!(e.contains("not an Alpenglow backup"), "{e}");
    let e = refused("name,value\nx,1\n");
    assert!(e.contains("not an Alpenglow backup (not JSON"), "{e}");
}

#[test]
fn a_backup_written_before_the_oauth_tables_still_restores() {
    let dir = tempfile::tempdir().unwrap();
    let admin = admin_in(&dir.path().join("data"));
    populate(&admin, 0);
    let path = dir.path().join("old.jsonl");
    write_backup(&admin, false, PAGE, &path);
    // What the release before them wrote: no chunk and no count for them.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    lines.retain(|l| !LATER_TREES.contains(&l["tree"].as_str().unwrap_or_default()));
    let closing = lines.last_mut().unwrap();
    for tree in LATER_TREES {
        closing["counts"].as_object_mut().unwrap().remove(*tree);
    }
    let old: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, old).unwrap();
    let trees = std::cell::RefCell::new(Vec::new());
    file::read(std::io::BufReader::new(std::fs::File::open(&path).unwrap()), |tree, _| {
        trees.borrow_mut().push(tree.to_string());
        Ok(())
    })
    .unwrap();
    assert!(trees.borrow().contains(&"credentials".to_string()));
}
