//! The rules a data map must obey before anything connects to a tenant's database.
//!
//! Owns the checks on a typed [`DataMap`]: names (identifiers that the connectors can quote
//! safely, system names safe for bundle paths), URL schemes, `follows` references, cycles,
//! and that every table can be reached from a root (a table no chain of `follows` connects
//! to an identity column could never contribute a row, and a map that lists it would tell the
//! controller's overview of systems — processing agreement art. 7.6 — something untrue).
//! Pure: no I/O, no database.

use std::collections::{BTreeMap, BTreeSet};

use super::datamap::{DataMap, ErasureRule, SystemMap, TableMap};

/// Longest identifier accepted (PostgreSQL truncates at 63 bytes, MySQL refuses over 64).
pub const MAX_IDENTIFIER_CHARS: usize = 64;

/// Most `follows` paths from roots to one table. Subject discovery ORs one nested subquery
/// per path, so this bounds the size of the generated SQL.
pub const MAX_PATHS_PER_TABLE: u64 = 64;

/// URL schemes a system may use (exports/README.md, "url").
pub const URL_SCHEMES: [&str; 5] = [
    "postgres://",
    "postgresql://",
    "mysql://",
    "sqlite://",
    "env:",
];

/// Why `name` cannot be an identifier in generated SQL, or None when it can. Quote
/// characters of every dialect are refused, so quoting never needs escaping; path
/// separators are refused because table names become bundle file names.
pub fn identifier_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is missing or empty")
    } else if name.chars().count() > MAX_IDENTIFIER_CHARS {
        Some("is longer than 64 characters")
    } else if name.trim() != name {
        Some("starts or ends with a space")
    } else if name.contains(['"', '`', '\'']) {
        Some("contains a quote character")
    } else if name.contains(['/', '\\']) || name.starts_with('.') {
        Some("contains a path separator or starts with a dot")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    }
}

fn valid_system_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_IDENTIFIER_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn valid_env_var(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What is wrong with a system's URL as written, never repeating it (it may hold a password).
pub fn url_problem(url: &str) -> Option<String> {
    if url.is_empty() {
        return Some("key url is missing".to_owned());
    }
    if let Some(var) = url.strip_prefix("env:") {
        return (!valid_env_var(var))
            .then(|| "url env:VAR needs an environment variable name after env:".to_owned());
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        return path
            .is_empty()
            .then(|| "url sqlite:// needs a path, e.g. sqlite://var/app.db".to_owned());
    }
    if URL_SCHEMES.iter().any(|s| url.starts_with(s)) {
        return None;
    }
    Some(
        "url must start with postgres://, postgresql://, mysql://, sqlite:// or env: \
         (the URL itself is not repeated here)"
            .to_owned(),
    )
}

fn label(name: &str, what: &str, index: usize) -> String {
    if name.trim().is_empty() {
        format!("{what} #{}", index + 1)
    } else {
        format!("{what} {name}")
    }
}

/// Every problem of the map, one line each, each naming the file, system, table and key.
pub fn problems(map: &DataMap) -> Vec<String> {
    let file = &map.file;
    let mut out = Vec::new();
    if map.tenant.is_empty() {
        out.push(format!("{file}: key tenant is missing"));
    } else if let Err(e) = crate::domain::tenant::parse_slug(&map.tenant) {
        out.push(format!("{file}: tenant \"{}\" {e}", map.tenant));
    }
    if map.systems.is_empty() {
        out.push(format!("{file}: no systems: add at least one [[systems]]"));
    }
    let mut seen = BTreeSet::new();
    for (si, sys) in map.systems.iter().enumerate() {
        let at = format!("{file}: {}", label(&sys.name, "system", si));
        if sys.name.is_empty() {
            out.push(format!("{at}: key name is missing"));
        } else if !valid_system_name(&sys.name) {
            out.push(format!(
                "{at}: name \"{}\" must be lower-case letters, digits, _ or - (it is used in \
                 bundle paths)",
                sys.name
            ));
        } else if !seen.insert(sys.name.as_str()) {
            out.push(format!(
                "{at}: name \"{}\" is used by another system",
                sys.name
            ));
        }
        if let Some(p) = url_problem(&sys.url) {
            out.push(format!("{at}: {p}"));
        }
        if sys.tables.is_empty() {
            out.push(format!(
                "{at}: no tables: add at least one [[systems.tables]]"
            ));
        }
        system_problems(&at, sys, &mut out);
    }
    out
}

fn system_problems(at: &str, sys: &SystemMap, out: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    for (ti, t) in sys.tables.iter().enumerate() {
        let at = format!("{at}, {}", label(&t.name, "table", ti));
        if let Some(p) = identifier_problem(&t.name) {
            out.push(format!("{at}: name {p}"));
        } else if !seen.insert(t.name.as_str()) {
            out.push(format!(
                "{at}: name \"{}\" is used by another table",
                t.name
            ));
        }
        table_problems(&at, sys, t, out);
    }
    graph_problems(at, sys, out);
    erasure_order_problems(at, sys, out);
}

fn table_problems(at: &str, sys: &SystemMap, t: &TableMap, out: &mut Vec<String>) {
    let ident = |key: &str, value: &str, out: &mut Vec<String>| {
        if let Some(p) = identifier_problem(value) {
            if value.is_empty() {
                out.push(format!("{at}: key {key} is missing"));
            } else {
                out.push(format!("{at}: {key} \"{value}\" {p}"));
            }
        }
    };
    ident("primary_key", &t.primary_key, out);
    for (kind, col) in &t.identity {
        ident(&format!("identity.{}", kind.as_str()), col, out);
    }
    for (i, f) in t.follows.iter().enumerate() {
        ident(&format!("follows[{i}].column"), &f.column, out);
        ident(&format!("follows[{i}].table"), &f.table, out);
        ident(&format!("follows[{i}].references"), &f.references, out);
        if !f.table.is_empty() && sys.table(&f.table).is_none() {
            out.push(format!(
                "{at}: follows[{i}].table \"{}\" is not a table of system {}",
                f.table, sys.name
            ));
        }
    }
    let mut excluded = BTreeSet::new();
    for (i, col) in t.exclude.iter().enumerate() {
        ident(&format!("exclude[{i}]"), col, out);
        if !excluded.insert(col.as_str()) {
            out.push(format!("{at}: exclude lists \"{col}\" twice"));
        }
        let mut uses = Vec::new();
        if *col == t.primary_key {
            uses.push("the primary key".to_owned());
        }
        for (kind, c) in &t.identity {
            if c == col {
                uses.push(format!("identity.{}", kind.as_str()));
            }
        }
        for (i, f) in t.follows.iter().enumerate() {
            if f.column == *col {
                uses.push(format!("follows[{i}].column"));
            }
        }
        for other in &sys.tables {
            for (i, f) in other.follows.iter().enumerate() {
                if f.table == t.name && f.references == *col {
                    uses.push(format!("follows[{i}].references of table {}", other.name));
                }
            }
        }
        if !uses.is_empty() {
            out.push(format!(
                "{at}: exclude[{i}] \"{col}\" is also {}; a column that links or identifies \
                 rows cannot be excluded",
                uses.join(", ")
            ));
        }
    }
    for (col, category) in &t.columns {
        ident(&format!("columns.{col}"), col, out);
        if category.trim().is_empty() {
            out.push(format!("{at}: columns.{col} has an empty category"));
        }
        if t.exclude.contains(col) {
            out.push(format!(
                "{at}: columns.{col} gives a category to an excluded column (it is never exported)"
            ));
        }
    }
    for (key, value) in [
        ("category", &t.category),
        ("retention", &t.retention),
        ("source", &t.source),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            out.push(format!("{at}: {key} is empty (leave the key out instead)"));
        }
    }
    for (i, v) in t.purposes.iter().enumerate() {
        if v.trim().is_empty() {
            out.push(format!("{at}: purposes[{i}] is empty"));
        }
    }
    for (i, r) in t.recipients.iter().enumerate() {
        if r.name.trim().is_empty() {
            out.push(format!("{at}: recipients[{i}] has no name"));
        }
        if let Some(email) = &r.email
            && email.parse::<email_address::EmailAddress>().is_err()
        {
            out.push(format!(
                "{at}: recipients[{i}].email \"{email}\" is not an e-mail address"
            ));
        }
    }
    execution_problems(at, sys, t, out);
}

/// The columns of `t` that link or identify rows: its primary key, its `follows` columns
/// and the columns other tables' `follows` point at. Erasure and rectification must not
/// change them (the rows would be lost to the subject, or a foreign key would break).
fn key_columns<'a>(sys: &'a SystemMap, t: &'a TableMap) -> Vec<(String, &'a str)> {
    let mut keys = vec![("the primary key".to_owned(), t.primary_key.as_str())];
    for (i, f) in t.follows.iter().enumerate() {
        keys.push((format!("follows[{i}].column"), f.column.as_str()));
    }
    for other in &sys.tables {
        for (i, f) in other.follows.iter().enumerate() {
            if f.table == t.name {
                keys.push((
                    format!("follows[{i}].references of table {}", other.name),
                    f.references.as_str(),
                ));
            }
        }
    }
    keys
}

/// The keys that say what rectification, erasure and restriction do (art. 16-18; processing
/// agreement 7.5(ii)-(iii)).
fn execution_problems(at: &str, sys: &SystemMap, t: &TableMap, out: &mut Vec<String>) {
    let keys = key_columns(sys, t);
    let key_use = |col: &str| -> Option<&str> {
        keys.iter()
            .find(|(_, c)| *c == col)
            .map(|(what, _)| what.as_str())
    };
    match (&t.on_erasure, &t.keep_reason) {
        (Some(ErasureRule::Keep), None) => out.push(format!(
            "{at}: on_erasure = \"keep\" needs keep_reason (why the rows are kept; the \
             subject is told, art. 17(3))"
        )),
        (Some(ErasureRule::Keep), Some(r)) if r.trim().is_empty() => {
            out.push(format!("{at}: keep_reason is empty"));
        }
        (Some(ErasureRule::Keep), Some(_)) => {}
        (_, Some(_)) => out.push(format!(
            "{at}: keep_reason only goes with on_erasure = \"keep\""
        )),
        _ => {}
    }
    if let Some(ErasureRule::Mask(cols)) = &t.on_erasure {
        for col in cols.keys() {
            if let Some(p) = identifier_problem(col) {
                out.push(format!("{at}: on_erasure.mask.{col} {p}"));
            } else if let Some(what) = key_use(col) {
                out.push(format!(
                    "{at}: on_erasure.mask.{col}: the column is {what}; a column that links \
                     rows cannot be masked (delete the rows, or mask other columns)"
                ));
            }
        }
    }
    if matches!(t.on_erasure, Some(ErasureRule::Cascade)) && t.follows.is_empty() {
        out.push(format!(
            "{at}: on_erasure = \"cascade\" needs follows: the database deletes these rows \
             with the rows they follow"
        ));
    }
    if let Some(r) = &t.restriction {
        if let Some(p) = identifier_problem(&r.column) {
            out.push(format!("{at}: restriction.column \"{}\" {p}", r.column));
        } else if let Some(what) = key_use(&r.column) {
            out.push(format!(
                "{at}: restriction.column \"{}\" is {what}; use a column of its own",
                r.column
            ));
        } else if t.identity.values().any(|c| *c == r.column) {
            out.push(format!(
                "{at}: restriction.column \"{}\" identifies the subject; use a column of its own",
                r.column
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, col) in t.rectifiable.iter().enumerate() {
        if let Some(p) = identifier_problem(col) {
            out.push(format!("{at}: rectifiable[{i}] {p}"));
            continue;
        }
        if !seen.insert(col.as_str()) {
            out.push(format!("{at}: rectifiable lists \"{col}\" twice"));
        }
        if let Some(what) = key_use(col) {
            out.push(format!(
                "{at}: rectifiable[{i}] \"{col}\" is {what}; keys cannot be corrected"
            ));
        }
        if t.excludes(col) {
            out.push(format!(
                "{at}: rectifiable[{i}] \"{col}\" is excluded from the export; a column the \
                 subject cannot see cannot be corrected at their request"
            ));
        }
        if t.restriction.as_ref().is_some_and(|r| r.column == *col) {
            out.push(format!(
                "{at}: rectifiable[{i}] \"{col}\" is the restriction column"
            ));
        }
    }
}

/// Deleting rows that other tables' rows point at would break their foreign keys or leave
/// them pointing at nothing: a table deleted on erasure may only be followed by tables that
/// are deleted too (by inzage or by the database's cascade).
fn erasure_order_problems(at: &str, sys: &SystemMap, out: &mut Vec<String>) {
    for parent in &sys.tables {
        if !parent
            .on_erasure
            .as_ref()
            .is_some_and(ErasureRule::removes_rows)
        {
            continue;
        }
        for child in &sys.tables {
            if !child.follows.iter().any(|f| f.table == parent.name) {
                continue;
            }
            if !child
                .on_erasure
                .as_ref()
                .is_some_and(ErasureRule::removes_rows)
            {
                let rule = child
                    .on_erasure
                    .as_ref()
                    .map_or("no on_erasure (export only)", |r| r.as_str());
                out.push(format!(
                    "{at}, table {}: on_erasure = \"{}\" deletes rows that table {} follows, \
                     but table {} has {rule}: its rows would point at nothing (mask table {} \
                     instead, or delete the rows of table {} too)",
                    parent.name,
                    parent.on_erasure.as_ref().map_or("", |r| r.as_str()),
                    child.name,
                    child.name,
                    parent.name,
                    child.name
                ));
            }
        }
    }
    for t in &sys.tables {
        if matches!(t.on_erasure, Some(ErasureRule::Cascade)) {
            for f in &t.follows {
                let parent_removed = sys
                    .table(&f.table)
                    .and_then(|p| p.on_erasure.as_ref())
                    .is_some_and(ErasureRule::removes_rows);
                if !parent_removed {
                    out.push(format!(
                        "{at}, table {}: on_erasure = \"cascade\" but table {} it follows is \
                         not deleted on erasure, so nothing would cascade",
                        t.name, f.table
                    ));
                }
            }
        }
    }
}

/// Cycles, reachability from a root, and the number of paths per table.
fn graph_problems(at: &str, sys: &SystemMap, out: &mut Vec<String>) {
    // Edges: table index → indexes of the tables it follows (dangling ones are reported above).
    let index: BTreeMap<&str, usize> = sys
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = sys
        .tables
        .iter()
        .map(|t| {
            t.follows
                .iter()
                .filter_map(|f| index.get(f.table.as_str()).copied())
                .collect()
        })
        .collect();

    // Cycles, by depth-first search with colours; each cycle is reported once, from the
    // table where the search first closed it.
    let n = sys.tables.len();
    let mut colour = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
    let mut on_cycle = vec![false; n];
    for start in 0..n {
        if colour[start] == 0 {
            let mut stack = vec![start];
            find_cycles(
                start,
                &edges,
                &mut colour,
                &mut stack,
                sys,
                at,
                out,
                &mut on_cycle,
            );
        }
    }
    if on_cycle.iter().any(|c| *c) {
        return; // reachability and path counts need an acyclic graph
    }

    // Paths from roots (memoised; acyclic now): a table is reachable iff it has any.
    let mut paths: Vec<Option<u64>> = vec![None; n];
    for i in 0..n {
        let p = count_paths(i, sys, &edges, &mut paths);
        let t = &sys.tables[i];
        let at = format!("{at}, {}", label(&t.name, "table", i));
        if p == 0 {
            if t.follows.is_empty() {
                out.push(format!(
                    "{at}: no identity columns and no follows: the table could never export a \
                     row (add identity = {{ email = \"…\" }} or follows = [...])"
                ));
            } else {
                out.push(format!(
                    "{at}: no chain of follows leads from it to a table with identity columns, \
                     so it could never export a row"
                ));
            }
        } else if p > MAX_PATHS_PER_TABLE {
            out.push(format!(
                "{at}: {p} chains of follows lead to this table (at most \
                 {MAX_PATHS_PER_TABLE}); simplify the follows"
            ));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn find_cycles(
    node: usize,
    edges: &[Vec<usize>],
    colour: &mut [u8],
    stack: &mut Vec<usize>,
    sys: &SystemMap,
    at: &str,
    out: &mut Vec<String>,
    on_cycle: &mut [bool],
) {
    colour[node] = 1;
    for &next in &edges[node] {
        match colour[next] {
            0 => {
                stack.push(next);
                find_cycles(next, edges, colour, stack, sys, at, out, on_cycle);
                stack.pop();
            }
            1 => {
                let from = stack.iter().position(|&s| s == next).unwrap_or(0);
                let cycle = &stack[from..];
                for &c in cycle {
                    on_cycle[c] = true;
                }
                let t = &sys.tables[next];
                if cycle.len() == 1 {
                    out.push(format!("{at}, table {}: follows itself (a cycle)", t.name));
                } else {
                    let mut names: Vec<&str> =
                        cycle.iter().map(|&c| sys.tables[c].name.as_str()).collect();
                    names.push(t.name.as_str());
                    out.push(format!(
                        "{at}, table {}: follows form a cycle: {} (each table follows the next)",
                        t.name,
                        names.join(" → ")
                    ));
                }
            }
            _ => {}
        }
    }
    colour[node] = 2;
}

fn count_paths(
    i: usize,
    sys: &SystemMap,
    edges: &[Vec<usize>],
    memo: &mut Vec<Option<u64>>,
) -> u64 {
    if let Some(p) = memo[i] {
        return p;
    }
    let mut p = u64::from(sys.tables[i].is_root());
    for &next in &edges[i] {
        p = p.saturating_add(count_paths(next, sys, edges, memo));
    }
    memo[i] = Some(p);
    p
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::domain::{IdentityKind, Language};
    use crate::tenant_data::DataMap;

    const GOOD: &str = r#"
tenant = "demo"
[[systems]]
name = "app"
url = "env:DEMO_APP_DB"
description = "Member app database"

[[systems.tables]]
name = "members"
primary_key = "id"
identity = { email = "email", phone = "phone" }
exclude = ["password_hash"]
category = "Contact details"
columns = { phone = "Phone number" }
purposes = ["Membership administration"]
retention = "Two years after membership ends"
source = "The subject"
recipients = []

[[systems.tables]]
name = "orders"
primary_key = "id"
follows = [{ column = "member_id", table = "members", references = "id" }]
"#;

    fn err(text: &str) -> String {
        DataMap::parse(text, "exports/demo.toml")
            .unwrap_err()
            .message
    }

    /// GOOD with `find` replaced by `with` (once, which must be there).
    fn good_with(find: &str, with: &str) -> String {
        assert!(GOOD.contains(find), "{find}");
        GOOD.replacen(find, with, 1)
    }

    fn assert_err(text: &str, expected: &str) {
        let e = err(text);
        assert!(e.contains(expected), "expected {expected:?} in:\n{e}");
        assert!(e.starts_with("exports/demo.toml: "), "{e}");
    }

    #[test]
    fn labels_come_in_dutch_and_english_and_fall_back() {
        let text = good_with(
            "retention = \"Two years after membership ends\"",
            "retention = { nl = \"Twee jaar na het lidmaatschap\", en = \"Two years after membership\" }\n\
             purposes = [{ en = \"Membership\" }, \"Plain\"]",
        )
        .replacen("purposes = [\"Membership administration\"]\n", "", 1);
        let map = DataMap::parse(&text, "exports/demo.toml").unwrap();
        let members = &map.systems[0].tables[0];
        let retention = members.retention.as_deref().unwrap();
        assert_eq!(retention, "Twee jaar na het lidmaatschap");
        assert_eq!(
            map.label(retention, Language::En),
            "Two years after membership"
        );
        assert_eq!(map.label(retention, Language::Nl), retention);
        // Only English given: Dutch falls back to it; a plain text reads the same in both.
        assert_eq!(members.purposes, vec!["Membership", "Plain"]);
        assert_eq!(map.label("Membership", Language::Nl), "Membership");
        assert_eq!(map.label("Plain", Language::En), "Plain");
        let bad = good_with(
            "retention = \"Two years after membership ends\"",
            "retention = { de = \"Zwei Jahre\" }",
        );
        assert_err(&bad, "key retention: unknown key \"de\"");
    }

    #[test]
    fn the_contract_example_parses_into_the_typed_graph() {
        let m = DataMap::parse(GOOD, "exports/demo.toml").unwrap();
        assert_eq!(m.tenant, "demo");
        assert_eq!(m.file, "exports/demo.toml");
        assert_eq!(m.table_count(), 2);
        let app = m.system("app").unwrap();
        assert_eq!(app.description, "Member app database");
        let members = app.table("members").unwrap();
        assert_eq!(members.identity[&IdentityKind::Email], "email");
        assert_eq!(members.identity[&IdentityKind::Phone], "phone");
        assert!(members.is_root());
        assert!(members.excludes("password_hash"));
        assert_eq!(members.columns["phone"], "Phone number");
        assert_eq!(
            members.retention.as_deref(),
            Some("Two years after membership ends")
        );
        let orders = app.table("orders").unwrap();
        assert!(!orders.is_root());
        assert_eq!(orders.follows[0].table, "members");
        assert_eq!(orders.follows[0].references, "id");
    }

    #[test]
    fn the_demo_map_is_valid() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exports/demo.toml");
        let m = DataMap::load(&path).unwrap();
        assert_eq!(m.tenant, "demo");
        assert!(m.table_count() >= 5);
    }

    #[test]
    fn syntax_errors_give_line_and_column_but_not_the_line() {
        let text = "tenant = \"demo\"\n[[systems]]\nurl = \"postgres://u:s3cret@h/db\nname = 1";
        let e = err(text);
        assert!(e.starts_with("exports/demo.toml: line 3, column"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
    }

    #[test]
    fn unknown_keys_are_named_with_where_they_are() {
        assert_err(
            &good_with(
                "primary_key = \"id\"\nfollows",
                "primay_key = \"id\"\nfollows",
            ),
            "system app, table orders: unknown key `primay_key`",
        );
        assert_err(
            &good_with("description", "descriptoin"),
            "system app: unknown key `descriptoin`",
        );
        assert_err(&format!("owner = \"x\"\n{GOOD}"), "unknown key `owner`");
        assert_err(
            &good_with("references = \"id\" }", "references = \"id\", on = \"x\" }"),
            "system app, table orders: follows[0]: unknown key `on`",
        );
    }

    #[test]
    fn wrong_types_name_the_key() {
        assert_err(
            &good_with(
                "retention = \"Two years after membership ends\"",
                "retention = 2",
            ),
            "system app, table members: key retention: invalid type",
        );
    }

    #[test]
    fn a_missing_primary_key_is_an_error() {
        assert_err(
            &good_with("primary_key = \"id\"\nfollows", "follows"),
            "system app, table orders: key primary_key is missing",
        );
    }

    #[test]
    fn empty_names_are_errors() {
        assert_err(
            &good_with("name = \"orders\"", "name = \"\""),
            "table #2: name is missing",
        );
        assert_err(
            &good_with("name = \"app\"", "name = \"\""),
            "system #1: key name is missing",
        );
        assert_err(&good_with("tenant = \"demo\"", ""), "key tenant is missing");
        assert_err(
            &good_with("column = \"member_id\"", "column = \"\""),
            "table orders: key follows[0].column is missing",
        );
    }

    #[test]
    fn duplicate_names_are_errors() {
        assert_err(
            &good_with("name = \"orders\"", "name = \"members\""),
            "name \"members\" is used by another table",
        );
        let two = format!(
            "{GOOD}\n[[systems]]\nname = \"app\"\nurl = \"sqlite://x.db\"\n[[systems.tables]]\nname = \"t\"\nprimary_key = \"id\"\nidentity = {{ email = \"e\" }}\n"
        );
        assert_err(&two, "system app: name \"app\" is used by another system");
    }

    #[test]
    fn system_names_must_be_safe_for_paths() {
        for bad in ["App", "../app", "app db", "app/x"] {
            assert_err(
                &good_with("name = \"app\"", &format!("name = \"{bad}\"")),
                "must be lower-case letters, digits, _ or -",
            );
        }
        DataMap::parse(&good_with("name = \"app\"", "name = \"crm_2-eu\""), "f").unwrap();
    }

    #[test]
    fn identifiers_with_quote_characters_are_refused() {
        assert_err(
            &good_with("primary_key = \"id\"", "primary_key = 'i\"d'"),
            "table members: primary_key \"i\"d\" contains a quote character",
        );
        assert_err(
            &good_with("email = \"email\"", "email = \"e`mail\""),
            "identity.email \"e`mail\" contains a quote character",
        );
        assert_err(
            &good_with("name = \"orders\"", "name = \"../orders\""),
            "contains a path separator",
        );
    }

    #[test]
    fn only_email_phone_and_customer_id_are_identity_types() {
        assert_err(
            &good_with("phone = \"phone\" }", "bsn = \"bsn\" }"),
            "system app, table members: identity.bsn: unknown identity type",
        );
        let m = DataMap::parse(
            &good_with("phone = \"phone\" }", "customer_id = \"nr\" }"),
            "f",
        )
        .unwrap();
        assert!(
            m.systems[0].tables[0]
                .identity
                .contains_key(&IdentityKind::CustomerId)
        );
    }

    #[test]
    fn dangling_follows_are_errors() {
        assert_err(
            &good_with("table = \"members\"", "table = \"memberz\""),
            "exports/demo.toml: system app, table orders: follows[0].table \"memberz\" is not a \
             table of system app",
        );
    }

    #[test]
    fn follows_cycles_are_errors() {
        // A table following itself.
        let own = good_with(
            "{ column = \"member_id\", table = \"members\", references = \"id\" }",
            "{ column = \"member_id\", table = \"members\", references = \"id\" }, { column = \"parent_id\", table = \"orders\", references = \"id\" }",
        );
        assert_err(&own, "table orders: follows itself (a cycle)");
        // Two tables following each other, neither a root.
        let two = format!(
            "{GOOD}\n[[systems.tables]]\nname = \"a\"\nprimary_key = \"id\"\nfollows = [{{ column = \"b_id\", table = \"b\", references = \"id\" }}]\n\
             [[systems.tables]]\nname = \"b\"\nprimary_key = \"id\"\nfollows = [{{ column = \"a_id\", table = \"a\", references = \"id\" }}]\n"
        );
        assert_err(&two, "follows form a cycle: a → b → a");
    }

    #[test]
    fn a_table_no_chain_connects_to_a_root_is_an_error() {
        let lone = format!("{GOOD}\n[[systems.tables]]\nname = \"audit\"\nprimary_key = \"id\"\n");
        assert_err(&lone, "table audit: no identity columns and no follows");
        let chain = format!(
            "{GOOD}\n[[systems.tables]]\nname = \"audit\"\nprimary_key = \"id\"\n\
             [[systems.tables]]\nname = \"audit_lines\"\nprimary_key = \"id\"\nfollows = [{{ column = \"audit_id\", table = \"audit\", references = \"id\" }}]\n"
        );
        assert_err(
            &chain,
            "table audit_lines: no chain of follows leads from it to a table",
        );
    }

    #[test]
    fn excluded_columns_cannot_identify_or_link_rows() {
        for (col, what) in [("id", "the primary key"), ("email", "identity.email")] {
            assert_err(
                &good_with(
                    "exclude = [\"password_hash\"]",
                    &format!("exclude = [\"{col}\"]"),
                ),
                &format!("table members: exclude[0] \"{col}\" is also {what}"),
            );
        }
        assert_err(
            &good_with(
                "primary_key = \"id\"\nfollows",
                "primary_key = \"id\"\nexclude = [\"member_id\"]\nfollows",
            ),
            "table orders: exclude[0] \"member_id\" is also follows[0].column",
        );
        let referenced = good_with(
            "exclude = [\"password_hash\"]",
            "exclude = [\"password_hash\", \"number\"]",
        )
        .replace("references = \"id\"", "references = \"number\"");
        assert_err(
            &referenced,
            "exclude[1] \"number\" is also follows[0].references of table orders",
        );
        assert_err(
            &good_with(
                "columns = { phone",
                "columns = { password_hash = \"Secret\", phone",
            ),
            "columns.password_hash gives a category to an excluded column",
        );
    }

    #[test]
    fn url_schemes_are_checked_without_repeating_the_url() {
        for ok in [
            "postgres://h/db",
            "postgresql://h/db",
            "mysql://u@h/db",
            "sqlite://var/a.db",
            "env:X_1",
        ] {
            DataMap::parse(&good_with("env:DEMO_APP_DB", ok), "f").unwrap();
        }
        let e = err(&good_with("env:DEMO_APP_DB", "mssql://sa:hunter2@h/db"));
        assert!(
            e.contains("system app: url must start with postgres://"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
        assert_err(&good_with("env:DEMO_APP_DB", "env:"), "url env:VAR needs");
        assert_err(
            &good_with("env:DEMO_APP_DB", "sqlite://"),
            "url sqlite:// needs a path",
        );
        assert_err(
            &good_with("url = \"env:DEMO_APP_DB\"\n", ""),
            "system app: key url is missing",
        );
    }

    #[test]
    fn a_map_needs_systems_and_tables_and_a_valid_tenant() {
        assert_err("tenant = \"demo\"\n", "no systems");
        assert_err(
            "tenant = \"demo\"\n[[systems]]\nname = \"app\"\nurl = \"env:X\"\n",
            "system app: no tables",
        );
        assert_err(
            &good_with("tenant = \"demo\"", "tenant = \"Demo BV\""),
            "tenant \"Demo BV\" must be",
        );
    }

    #[test]
    fn several_problems_are_reported_at_once() {
        let text = good_with("table = \"members\"", "table = \"memberz\"")
            .replace("primary_key = \"id\"\nidentity", "identity");
        let e = err(&text);
        assert!(e.lines().count() >= 2, "{e}");
        assert!(
            e.lines().all(|l| l.starts_with("exports/demo.toml: ")),
            "{e}"
        );
    }

    #[test]
    fn too_many_follows_paths_are_refused() {
        // A ladder of tables each following both tables of the rung below doubles the paths.
        let mut text = String::from(
            "tenant = \"demo\"\n[[systems]]\nname = \"app\"\nurl = \"env:X\"\n\
             [[systems.tables]]\nname = \"a0\"\nprimary_key = \"id\"\nidentity = { email = \"e\" }\n\
             [[systems.tables]]\nname = \"b0\"\nprimary_key = \"id\"\nidentity = { email = \"e\" }\n",
        );
        for i in 1..=7 {
            for side in ["a", "b"] {
                text.push_str(&format!(
                    "[[systems.tables]]\nname = \"{side}{i}\"\nprimary_key = \"id\"\nfollows = [{{ column = \"x\", table = \"a{p}\", references = \"id\" }}, {{ column = \"y\", table = \"b{p}\", references = \"id\" }}]\n",
                    p = i - 1
                ));
            }
        }
        assert_err(&text, "table a7: 128 chains of follows lead to this table");
    }

    #[test]
    fn a_map_built_in_code_is_checked_too() {
        let mut m = DataMap::parse(GOOD, "f").unwrap();
        m.systems[0].tables[0].identity.clear();
        m.systems[0].tables[0]
            .follows
            .push(crate::tenant_data::Follow {
                column: "x".into(),
                table: "orders".into(),
                references: "id".into(),
            });
        let e = m.validate().unwrap_err().message;
        assert!(e.contains("follows form a cycle"), "{e}");
    }

    // ---- rectification, erasure and restriction keys ------------------------------------

    /// GOOD with keys added to the members table (before `[[systems.tables]]` of orders).
    fn members_with(keys: &str) -> String {
        good_with("recipients = []\n", &format!("recipients = []\n{keys}\n"))
    }

    /// GOOD with keys added to the orders table (at the end).
    fn orders_with(keys: &str) -> String {
        format!("{GOOD}{keys}\n")
    }

    #[test]
    fn the_execution_keys_parse_into_typed_rules() {
        use crate::tenant_data::{ErasureRule, FlagValue, Mask, Recipient};
        let text = members_with(
            "on_erasure = { mask = { email = \"hash\", phone = \"null\", name = \"redact\" } }\n\
             restriction = { column = \"processing_restricted\", value = true }\n\
             rectifiable = [\"name\", \"phone\"]",
        )
        .replace(
            "recipients = []\n",
            "recipients = [\"Betaaldienst\", { name = \"Sportbond\", email = \"privacy@sportbond.example\" }]\n",
        );
        let text = format!(
            "{text}on_erasure = \"keep\"\nkeep_reason = \"Invoices: 7 years (art. 52 AWR)\"\n"
        );
        let m = DataMap::parse(&text, "f").unwrap();
        let members = &m.systems[0].tables[0];
        let ErasureRule::Mask(cols) = members.on_erasure.as_ref().unwrap() else {
            panic!("mask");
        };
        assert_eq!(cols["email"], Mask::Hash);
        assert_eq!(cols["phone"], Mask::Null);
        assert_eq!(cols["name"], Mask::Redact);
        let r = members.restriction.as_ref().unwrap();
        assert_eq!(r.column, "processing_restricted");
        assert_eq!(
            (&r.value, &r.lifted),
            (&FlagValue::Bool(true), &FlagValue::Bool(false))
        );
        assert_eq!(members.rectifiable, ["name", "phone"]);
        assert_eq!(
            members.recipients,
            [
                Recipient {
                    name: "Betaaldienst".into(),
                    email: None
                },
                Recipient {
                    name: "Sportbond".into(),
                    email: Some("privacy@sportbond.example".into())
                }
            ]
        );
        assert_eq!(members.recipient_names(), ["Betaaldienst", "Sportbond"]);
        let orders = &m.systems[0].tables[1];
        assert_eq!(orders.on_erasure, Some(ErasureRule::Keep));
        assert_eq!(
            orders.keep_reason.as_deref(),
            Some("Invoices: 7 years (art. 52 AWR)")
        );
        // absent keys: export only
        let plain = DataMap::parse(GOOD, "f").unwrap();
        assert_eq!(plain.systems[0].tables[1].on_erasure, None);
        assert!(plain.systems[0].tables[1].restriction.is_none());
    }

    #[test]
    fn keep_needs_a_reason_and_a_reason_needs_keep() {
        assert_err(
            &orders_with("on_erasure = \"keep\""),
            "exports/demo.toml: system app, table orders: on_erasure = \"keep\" needs keep_reason",
        );
        assert_err(
            &orders_with("on_erasure = \"keep\"\nkeep_reason = \" \""),
            "table orders: keep_reason is empty",
        );
        assert_err(
            &orders_with("on_erasure = \"delete\"\nkeep_reason = \"7 years\""),
            "table orders: keep_reason only goes with on_erasure = \"keep\"",
        );
    }

    #[test]
    fn unknown_erasure_rules_and_masks_are_named() {
        assert_err(
            &orders_with("on_erasure = \"shred\""),
            "table orders: on_erasure: unknown rule \"shred\"",
        );
        assert_err(
            &orders_with("on_erasure = \"mask\""),
            "table orders: on_erasure: \"mask\" needs the columns",
        );
        assert_err(
            &orders_with("on_erasure = { mask = { note = \"blur\" } }"),
            "table orders: on_erasure.mask.note: use \"null\", \"redact\" or \"hash\"",
        );
        assert_err(
            &orders_with("on_erasure = { wipe = { note = \"null\" } }"),
            "table orders: on_erasure: unknown key `wipe`",
        );
        assert_err(
            &orders_with("on_erasure = { mask = {} }"),
            "table orders: on_erasure.mask names no columns",
        );
    }

    #[test]
    fn a_mask_on_a_primary_or_foreign_key_is_refused() {
        assert_err(
            &orders_with("on_erasure = { mask = { id = \"null\" } }"),
            "table orders: on_erasure.mask.id: the column is the primary key",
        );
        assert_err(
            &orders_with("on_erasure = { mask = { member_id = \"hash\" } }"),
            "table orders: on_erasure.mask.member_id: the column is follows[0].column",
        );
    }

    #[test]
    fn deleting_a_parent_needs_its_children_deleted_too() {
        let text = members_with("on_erasure = \"delete\"");
        assert_err(
            &text,
            "table members: on_erasure = \"delete\" deletes rows that table orders follows, \
             but table orders has no on_erasure (export only)",
        );
        assert_err(
            &format!("{text}\non_erasure = \"keep\"\nkeep_reason = \"7 years\"\n"),
            "but table orders has keep",
        );
        DataMap::parse(&format!("{text}\non_erasure = \"delete\"\n"), "f").unwrap();
        DataMap::parse(&format!("{text}\non_erasure = \"cascade\"\n"), "f").unwrap();
        // a kept child under a masked parent is fine
        DataMap::parse(
            &format!(
                "{}on_erasure = \"keep\"\nkeep_reason = \"7 years\"\n",
                members_with("on_erasure = { mask = { phone = \"null\" } }")
            ),
            "f",
        )
        .unwrap();
    }

    #[test]
    fn cascade_needs_a_deleted_parent() {
        assert_err(
            &orders_with("on_erasure = \"cascade\""),
            "table orders: on_erasure = \"cascade\" but table members it follows is not deleted",
        );
        assert_err(
            &members_with("on_erasure = \"cascade\""),
            "table members: on_erasure = \"cascade\" needs follows",
        );
    }

    #[test]
    fn rectifiable_columns_must_be_exported_non_key_columns() {
        assert_err(
            &members_with("rectifiable = [\"password_hash\"]"),
            "table members: rectifiable[0] \"password_hash\" is excluded from the export",
        );
        assert_err(
            &members_with("rectifiable = [\"id\"]"),
            "table members: rectifiable[0] \"id\" is the primary key; keys cannot be corrected",
        );
        assert_err(
            &orders_with("rectifiable = [\"note\", \"member_id\"]"),
            "table orders: rectifiable[1] \"member_id\" is follows[0].column",
        );
        assert_err(
            &orders_with("rectifiable = [\"note\", \"note\"]"),
            "table orders: rectifiable lists \"note\" twice",
        );
    }

    #[test]
    fn restriction_flags_are_checked() {
        assert_err(
            &orders_with("restriction = { value = true }"),
            "table orders: restriction.column is missing",
        );
        assert_err(
            &orders_with("restriction = { column = \"r\" }"),
            "table orders: restriction.value is missing",
        );
        assert_err(
            &orders_with("restriction = { column = \"status\", value = \"blocked\" }"),
            "table orders: restriction.lifted is needed when value is not true or false",
        );
        assert_err(
            &orders_with("restriction = { column = \"status\", value = 1, lifted = \"0\" }"),
            "restriction.lifted must be of the same type as restriction.value",
        );
        assert_err(
            &orders_with("restriction = { column = \"member_id\", value = true }"),
            "table orders: restriction.column \"member_id\" is follows[0].column",
        );
        assert_err(
            &orders_with("restriction = { column = \"r\", value = true, colour = 1 }"),
            "table orders: restriction: unknown key `colour`",
        );
        let m = DataMap::parse(
            &orders_with("restriction = { column = \"status\", value = 2, lifted = 0 }"),
            "f",
        )
        .unwrap();
        let r = m.systems[0].tables[1].restriction.as_ref().unwrap();
        assert_eq!(
            (&r.value, &r.lifted),
            (
                &crate::tenant_data::FlagValue::Integer(2),
                &crate::tenant_data::FlagValue::Integer(0)
            )
        );
    }

    #[test]
    fn recipients_take_a_name_or_a_name_and_an_address() {
        assert_err(
            &orders_with("recipients = [{ name = \"Bond\", email = \"not an address\" }]"),
            "table orders: recipients[0].email \"not an address\" is not an e-mail address",
        );
        assert_err(
            &orders_with("recipients = [{ email = \"a@b.example\" }]"),
            "table orders: recipients[0] has no name",
        );
        assert_err(
            &orders_with("recipients = [{ name = \"Bond\", phone = \"1\" }]"),
            "table orders: recipients[0]: unknown key `phone`",
        );
        assert_err(
            &orders_with("recipients = [3]"),
            "table orders: recipients[0]: a name, or",
        );
    }
}
