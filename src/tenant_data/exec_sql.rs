//! What rectification, erasure and restriction do to a tenant database, as SQL generated from
//! the data map (GDPR art. 16-18; processing agreement 3.7, 7.5(ii)-(iii)).
//!
//! Owns the plan of one system (which table gets which action, in which order) and the text
//! of every statement that changes a tenant database. The rows are the subject's rows as the
//! export finds them ([`sql::subject_condition`]: identities, then `follows` to any depth), so
//! what is erased is exactly what a bundle would have shown. Identifiers come from the
//! validated map or the database's catalog and are quoted per dialect; every value (the
//! subject's identities, keys, new values) is a bound parameter. Pure: no I/O.
//!
//! Order: the subject's rows of a table are found through the rows it follows, so every
//! table is changed before the tables it follows (children before parents); deleting or
//! masking a parent first would make its children unfindable.

use std::collections::BTreeMap;

use super::datamap::{ErasureRule, FlagValue, Mask, SystemMap, TableMap};
use super::sql::{Bind, CatalogColumn, Dialect, KeyKind, Needles, Params, subject_condition};
use crate::domain::certificate::TableAction;

/// The text a `redact` mask writes (a fixed text: it says the value was erased, in both
/// languages).
pub const REDACTED: &str = "[verwijderd / erased]";

/// What a plan carries out (one per request kind that has a plan).
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// Art. 17: `on_erasure` of every table.
    Erase,
    /// Art. 18(1): the `restriction` flag set on the subject's rows.
    Restrict,
    /// Art. 18(3): the `restriction` flag lifted.
    Lift,
    /// Art. 16: the listed `rectifiable` columns set to new values.
    Rectify(Vec<Change>),
}

/// One correction: `column` of the subject's rows in `system`.`table` becomes `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub system: String,
    pub table: String,
    pub column: String,
    pub value: NewValue,
}

/// A value written to a tenant column (from JSON: a string, number, boolean or null).
#[derive(Debug, Clone, PartialEq)]
pub enum NewValue {
    Null,
    Bool(bool),
    Int(i64),
    /// Any other number, written as the database reads its text.
    Number(String),
    Text(String),
}

impl NewValue {
    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        Some(match v {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(b) => Self::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Self::Int(i),
                None => Self::Number(n.to_string()),
            },
            serde_json::Value::String(s) => Self::Text(s.clone()),
            _ => return None,
        })
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Bool(b) => (*b).into(),
            Self::Int(i) => (*i).into(),
            Self::Number(n) => serde_json::from_str(n).unwrap_or(serde_json::Value::Null),
            Self::Text(s) => s.clone().into(),
        }
    }

    fn from_flag(f: &FlagValue) -> Self {
        match f {
            FlagValue::Bool(b) => Self::Bool(*b),
            FlagValue::Integer(i) => Self::Int(*i),
            FlagValue::Text(s) => Self::Text(s.clone()),
        }
    }
}

/// How one column of the subject's rows is set.
#[derive(Debug, Clone, PartialEq)]
pub enum SetTo {
    /// The same value on every row.
    Value(NewValue),
    /// A keyed one-way hash of the row's own value (`mask = "hash"`); NULL stays NULL.
    Hash,
}

/// What the executor does with one table.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Nothing is changed; the subject's rows are counted (keep, and cascade: the database
    /// deletes them with the rows they follow).
    Count,
    /// The subject's rows are deleted, in batches.
    Delete,
    /// Columns of the subject's rows are set, in key-ordered batches.
    Set(Vec<(String, SetTo)>),
}

/// One table of a system's plan.
#[derive(Debug, Clone, PartialEq)]
pub struct TableStep {
    pub table: String,
    pub action: TableAction,
    /// Masked, corrected or flag columns (never values).
    pub columns: Vec<String>,
    /// Why rows stay (`keep`), or how they go (`cascade`), in the data map's words.
    pub reason: Option<String>,
    pub op: Op,
}

/// A rectification change that cannot be made, and why (shown as a 422 naming the change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeProblem {
    pub index: usize,
    pub message: String,
}

/// Checks rectification changes against the map: the system and table exist and the column
/// is `rectifiable` there (art. 16: only what the controller marked correctable), and no
/// column is changed twice.
pub fn check_changes(systems: &[SystemMap], changes: &[Change]) -> Vec<ChangeProblem> {
    let mut out = Vec::new();
    let mut seen = BTreeMap::new();
    for (index, c) in changes.iter().enumerate() {
        let problem = |message: String| ChangeProblem { index, message };
        let Some(sys) = systems.iter().find(|s| s.name == c.system) else {
            out.push(problem(format!(
                "the data map has no system \"{}\"",
                c.system
            )));
            continue;
        };
        let Some(t) = sys.table(&c.table) else {
            out.push(problem(format!(
                "system {} has no table \"{}\" in the data map",
                c.system, c.table
            )));
            continue;
        };
        if !t.rectifiable.contains(&c.column) {
            out.push(problem(format!(
                "{}.{}.{} is not rectifiable in the data map (rectifiable: {})",
                c.system,
                c.table,
                c.column,
                if t.rectifiable.is_empty() {
                    "none".to_owned()
                } else {
                    t.rectifiable.join(", ")
                }
            )));
            continue;
        }
        if seen
            .insert((&c.system, &c.table, &c.column), index)
            .is_some()
        {
            out.push(problem(format!(
                "{}.{}.{} is changed twice",
                c.system, c.table, c.column
            )));
        }
    }
    out
}

/// The system's tables, every table before the tables it follows (children before parents),
/// otherwise in map order. A validated map is acyclic; a cycle would leave its tables last,
/// in map order.
pub fn children_first(system: &SystemMap) -> Vec<&TableMap> {
    let mut done: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    while out.len() < system.tables.len() {
        let next = system.tables.iter().find(|t| {
            !done.contains(&t.name.as_str())
                && system
                    .tables
                    .iter()
                    .filter(|c| c.follows.iter().any(|f| f.table == t.name) && c.name != t.name)
                    .all(|c| done.contains(&c.name.as_str()))
        });
        match next {
            Some(t) => {
                done.push(&t.name);
                out.push(t);
            }
            None => {
                for t in &system.tables {
                    if !done.contains(&t.name.as_str()) {
                        done.push(&t.name);
                        out.push(t);
                    }
                }
            }
        }
    }
    out
}

/// Whether other tables of the system follow `table` (its rows are someone's parents).
pub fn is_followed(system: &SystemMap, table: &TableMap) -> bool {
    system
        .tables
        .iter()
        .any(|c| c.name != table.name && c.follows.iter().any(|f| f.table == table.name))
}

/// The plan of one system for `op`, in execution order (children before parents). Tables the
/// operation does not touch are left out, except for erasure, which names every table: a
/// table without `on_erasure` keeps its rows and says so.
pub fn plan_system(system: &SystemMap, op: &Operation) -> Vec<TableStep> {
    let mut steps = Vec::new();
    for t in children_first(system) {
        let step = match op {
            Operation::Erase => Some(erasure_step(t)),
            Operation::Restrict | Operation::Lift => t.restriction.as_ref().map(|r| {
                let (action, value) = if matches!(op, Operation::Restrict) {
                    (TableAction::Restrict, &r.value)
                } else {
                    (TableAction::Lift, &r.lifted)
                };
                TableStep {
                    table: t.name.clone(),
                    action,
                    columns: vec![r.column.clone()],
                    reason: None,
                    op: Op::Set(vec![(
                        r.column.clone(),
                        SetTo::Value(NewValue::from_flag(value)),
                    )]),
                }
            }),
            Operation::Rectify(changes) => {
                let sets: Vec<(String, SetTo)> = changes
                    .iter()
                    .filter(|c| c.system == system.name && c.table == t.name)
                    .map(|c| (c.column.clone(), SetTo::Value(c.value.clone())))
                    .collect();
                (!sets.is_empty()).then(|| TableStep {
                    table: t.name.clone(),
                    action: TableAction::Update,
                    columns: sets.iter().map(|(c, _)| c.clone()).collect(),
                    reason: None,
                    op: Op::Set(sets),
                })
            }
        };
        steps.extend(step);
    }
    steps
}

/// Without `on_erasure` a table is only exported: its rows stay, and the plan says so.
pub const NO_RULE_REASON: &str =
    "the data map sets no on_erasure for this table: its rows are only exported, not erased";

fn erasure_step(t: &TableMap) -> TableStep {
    let (action, columns, reason, op) = match &t.on_erasure {
        Some(ErasureRule::Delete) => (TableAction::Delete, vec![], None, Op::Delete),
        Some(ErasureRule::Cascade) => (
            TableAction::Delete,
            vec![],
            Some("deleted by the database itself (ON DELETE CASCADE)".to_owned()),
            Op::Count,
        ),
        Some(ErasureRule::Keep) => (TableAction::Keep, vec![], t.keep_reason.clone(), Op::Count),
        Some(ErasureRule::Mask(cols)) => (
            TableAction::Mask,
            cols.keys().cloned().collect(),
            None,
            Op::Set(
                cols.iter()
                    .map(|(c, m)| {
                        let to = match m {
                            Mask::Null => SetTo::Value(NewValue::Null),
                            Mask::Redact => SetTo::Value(NewValue::Text(REDACTED.to_owned())),
                            Mask::Hash => SetTo::Hash,
                        };
                        (c.clone(), to)
                    })
                    .collect(),
            ),
        ),
        None => (
            TableAction::Keep,
            vec![],
            Some(NO_RULE_REASON.to_owned()),
            Op::Count,
        ),
    };
    TableStep {
        table: t.name.clone(),
        action,
        columns,
        reason,
        op,
    }
}

/// A statement and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    pub binds: Vec<Bind>,
}

/// `SELECT COUNT(*) AS n` of the subject's rows, locking them (`FOR UPDATE`) on PostgreSQL
/// and MySQL so no one changes them, or adds rows under them, until the system's transaction
/// ends. SQLite's write transaction (`BEGIN IMMEDIATE`) already keeps every other writer out.
/// None when the subject can have no rows in the table.
pub fn lock_count(
    d: Dialect,
    system: &SystemMap,
    table: &TableMap,
    needles: &Needles,
) -> Option<Statement> {
    let mut params = Params::new(d);
    let cond = subject_condition(d, system, table, needles, &mut params)?;
    let t = d.quote(&table.name);
    let sql = match d {
        // PostgreSQL refuses FOR UPDATE beside an aggregate: lock in a subquery.
        Dialect::Postgres => {
            format!("SELECT COUNT(*) AS n FROM (SELECT 1 FROM {t} WHERE {cond} FOR UPDATE) AS l")
        }
        Dialect::Mysql => format!("SELECT COUNT(*) AS n FROM {t} WHERE {cond} FOR UPDATE"),
        Dialect::Sqlite => format!("SELECT COUNT(*) AS n FROM {t} WHERE {cond}"),
    };
    Some(Statement {
        sql,
        binds: params.values,
    })
}

/// The key that ends the next batch of `batch` of the subject's rows after `after` (the
/// batch-th key in key order), or no row when fewer remain: one row comes back, whatever the
/// batch size.
pub fn batch_end(
    d: Dialect,
    system: &SystemMap,
    table: &TableMap,
    pk: &CatalogColumn,
    needles: &Needles,
    after: Option<&str>,
    batch: usize,
) -> Option<Statement> {
    let mut params = Params::new(d);
    let cond = subject_condition(d, system, table, needles, &mut params)?;
    let k = d.quote(&pk.name);
    let after = match after {
        Some(last) => {
            let p = placeholder(d, &mut params, key_bind(pk, last), pk);
            format!(" AND {k} > {p}")
        }
        None => String::new(),
    };
    Some(Statement {
        sql: format!(
            "SELECT {} AS k, NULL AS r FROM {} WHERE {cond}{after} ORDER BY {k} LIMIT 1 OFFSET {}",
            as_text(d, &pk.name),
            d.quote(&table.name),
            batch.saturating_sub(1)
        ),
        binds: params.values,
    })
}

/// `DELETE` of the subject's rows with keys after `after` and up to `upto` (all that remain
/// when None): one batch, found by the database itself, no key passing through inzage.
pub fn delete_range(
    d: Dialect,
    system: &SystemMap,
    table: &TableMap,
    pk: &CatalogColumn,
    needles: &Needles,
    after: Option<&str>,
    upto: Option<&str>,
) -> Option<Statement> {
    let mut params = Params::new(d);
    let cond = subject_condition(d, system, table, needles, &mut params)?;
    let k = d.quote(&pk.name);
    let mut range = String::new();
    if let Some(last) = after {
        let p = placeholder(d, &mut params, key_bind(pk, last), pk);
        range.push_str(&format!(" AND {k} > {p}"));
    }
    if let Some(end) = upto {
        let p = placeholder(d, &mut params, key_bind(pk, end), pk);
        range.push_str(&format!(" AND {k} <= {p}"));
    }
    Some(Statement {
        sql: format!("DELETE FROM {} WHERE {cond}{range}", d.quote(&table.name)),
        binds: params.values,
    })
}

/// A bound key or value, cast on PostgreSQL to the column's type (as `format_type` spells it,
/// when it is safe to splice; see [`super::sql::pg_column`]).
fn placeholder(d: Dialect, params: &mut Params, value: Bind, column: &CatalogColumn) -> String {
    let p = params.push(value);
    match (d, &column.key) {
        (Dialect::Postgres, KeyKind::Text { pg_type: Some(t) }) => format!("CAST({p} AS {t})"),
        (Dialect::Postgres, KeyKind::Integer) => format!("CAST({p} AS {})", column.type_name),
        _ => p,
    }
}

/// A key read as text, bound again for the column's type.
pub fn key_bind(pk: &CatalogColumn, key: &str) -> Bind {
    match pk.key {
        KeyKind::Integer => key
            .parse::<i64>()
            .map_or_else(|_| Bind::Text(key.to_owned()), Bind::Int),
        KeyKind::Text { .. } => Bind::Text(key.to_owned()),
    }
}

/// A new value as bound for the dialect: booleans as 1/0 where the database has no boolean
/// type of its own (MySQL, SQLite), text `true`/`false` cast on PostgreSQL.
pub fn value_bind(d: Dialect, v: &NewValue) -> Bind {
    match (v, d) {
        (NewValue::Null, _) => Bind::Null,
        (NewValue::Bool(b), Dialect::Postgres) => Bind::Text(b.to_string()),
        (NewValue::Bool(b), _) => Bind::Int(i64::from(*b)),
        (NewValue::Int(i), _) => Bind::Int(*i),
        (NewValue::Number(n), _) => Bind::Text(n.clone()),
        (NewValue::Text(s), _) => Bind::Text(s.clone()),
    }
}

/// A column as text for reading (the key, and old values to hash).
fn as_text(d: Dialect, column: &str) -> String {
    let q = d.quote(column);
    match d {
        Dialect::Postgres => format!("CAST({q} AS text)"),
        Dialect::Mysql => format!("CAST({q} AS CHAR)"),
        Dialect::Sqlite => format!("CAST({q} AS TEXT)"),
    }
}

/// The next batch of the subject's rows, in key order after `after`: `k` the key as text, `r`
/// a JSON array of `read` columns as text (old values, to hash; NULL when none are read),
/// locked for update (PostgreSQL, MySQL) when `lock`.
///
/// Keyset pages: each starts after the last key, so rows this transaction already deleted
/// are never scanned again (a `DELETE … LIMIT n` repeated in one transaction would walk past
/// all of them every time: quadratic in the subject's rows).
#[expect(
    clippy::too_many_arguments,
    reason = "one statement's inputs: where, which columns, which page"
)]
pub fn keys_batch(
    d: Dialect,
    system: &SystemMap,
    table: &TableMap,
    pk: &CatalogColumn,
    read: &[String],
    needles: &Needles,
    after: Option<&str>,
    batch: usize,
    lock: bool,
) -> Option<Statement> {
    let mut params = Params::new(d);
    let cond = subject_condition(d, system, table, needles, &mut params)?;
    let t = d.quote(&table.name);
    let k = d.quote(&pk.name);
    let after = match after {
        Some(last) => {
            let p = placeholder(d, &mut params, key_bind(pk, last), pk);
            format!(" AND {k} > {p}")
        }
        None => String::new(),
    };
    let values: Vec<String> = read.iter().map(|c| as_text(d, c)).collect();
    let r = match d {
        _ if read.is_empty() => "NULL".to_owned(),
        Dialect::Postgres => format!("CAST(json_build_array({}) AS text)", values.join(", ")),
        Dialect::Mysql => format!("CAST(JSON_ARRAY({}) AS CHAR)", values.join(", ")),
        Dialect::Sqlite => format!("json_array({})", values.join(", ")),
    };
    let lock = match d {
        Dialect::Postgres | Dialect::Mysql if lock => " FOR UPDATE",
        _ => "",
    };
    Some(Statement {
        sql: format!(
            "SELECT {} AS k, {r} AS r FROM {t} WHERE {cond}{after} ORDER BY {k} LIMIT {batch}{lock}",
            as_text(d, &pk.name)
        ),
        binds: params.values,
    })
}

/// `UPDATE … SET` the same values on the rows with these keys (which [`keys_batch`] locked).
pub fn update_keys(
    d: Dialect,
    table: &str,
    pk: &CatalogColumn,
    sets: &[(&CatalogColumn, NewValue)],
    keys: &[String],
) -> Statement {
    let mut params = Params::new(d);
    let assignments: Vec<String> = sets
        .iter()
        .map(|(c, v)| {
            let p = placeholder(d, &mut params, value_bind(d, v), c);
            format!("{} = {p}", d.quote(&c.name))
        })
        .collect();
    let ks: Vec<String> = keys
        .iter()
        .map(|k| placeholder(d, &mut params, key_bind(pk, k), pk))
        .collect();
    Statement {
        sql: format!(
            "UPDATE {} SET {} WHERE {} IN ({})",
            d.quote(table),
            assignments.join(", "),
            d.quote(&pk.name),
            ks.join(", ")
        ),
        binds: params.values,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::tenant_data::sql::{pg_column, sqlite_column};
    use crate::tenant_data::{DataMap, SubjectIdentities};

    const MAP: &str = r#"
tenant = "demo"
[[systems]]
name = "app"
url = "sqlite://app.db"
[[systems.tables]]
name = "members"
primary_key = "id"
identity = { email = "email" }
on_erasure = { mask = { email = "hash", name = "redact", phone = "null" } }
restriction = { column = "restricted", value = true }
rectifiable = ["name", "phone"]
recipients = ["Betaaldienst", { name = "Sportbond", email = "privacy@sportbond.example" }]
[[systems.tables]]
name = "order_lines"
primary_key = "id"
follows = [{ column = "order_id", table = "orders", references = "id" }]
on_erasure = "cascade"
[[systems.tables]]
name = "orders"
primary_key = "id"
follows = [{ column = "member_id", table = "members", references = "id" }]
on_erasure = "delete"
[[systems.tables]]
name = "invoices"
primary_key = "id"
follows = [{ column = "member_id", table = "members", references = "id" }]
on_erasure = "keep"
keep_reason = "Invoices: 7 years (art. 52 AWR)"
[[systems.tables]]
name = "newsletter"
primary_key = "id"
identity = { email = "email" }
"#;

    fn map() -> DataMap {
        DataMap::parse(MAP, "t.toml").unwrap()
    }

    fn pk_pg() -> CatalogColumn {
        pg_column("id", "bigint")
    }

    fn needles() -> Needles {
        Needles::from_subject(&SubjectIdentities {
            emails: vec!["anna@example.nl".into()],
            ..Default::default()
        })
    }

    #[test]
    fn children_come_before_the_tables_they_follow() {
        let m = map();
        let order: Vec<&str> = children_first(&m.systems[0])
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        let pos = |n: &str| order.iter().position(|t| *t == n).unwrap();
        assert!(pos("order_lines") < pos("orders"));
        assert!(pos("orders") < pos("members"));
        assert!(pos("invoices") < pos("members"));
        assert_eq!(order.len(), 5);
        assert!(is_followed(
            &m.systems[0],
            m.systems[0].table("orders").unwrap()
        ));
        assert!(!is_followed(
            &m.systems[0],
            m.systems[0].table("invoices").unwrap()
        ));
    }

    #[test]
    fn erasure_names_every_table_with_its_action_and_reason() {
        let m = map();
        let steps = plan_system(&m.systems[0], &Operation::Erase);
        let by = |n: &str| steps.iter().find(|s| s.table == n).unwrap();
        assert_eq!(by("orders").action, TableAction::Delete);
        assert_eq!(by("orders").op, Op::Delete);
        // cascade: counted, deleted by the database
        assert_eq!(by("order_lines").action, TableAction::Delete);
        assert_eq!(by("order_lines").op, Op::Count);
        assert_eq!(by("invoices").action, TableAction::Keep);
        assert_eq!(
            by("invoices").reason.as_deref(),
            Some("Invoices: 7 years (art. 52 AWR)")
        );
        assert_eq!(by("newsletter").reason.as_deref(), Some(NO_RULE_REASON));
        let members = by("members");
        assert_eq!(members.action, TableAction::Mask);
        assert_eq!(members.columns, ["email", "name", "phone"]);
        assert_eq!(
            members.op,
            Op::Set(vec![
                ("email".into(), SetTo::Hash),
                ("name".into(), SetTo::Value(NewValue::Text(REDACTED.into()))),
                ("phone".into(), SetTo::Value(NewValue::Null)),
            ])
        );
    }

    #[test]
    fn restriction_and_lift_touch_only_tables_with_a_flag() {
        let m = map();
        let r = plan_system(&m.systems[0], &Operation::Restrict);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].action, TableAction::Restrict);
        assert_eq!(
            r[0].op,
            Op::Set(vec![(
                "restricted".into(),
                SetTo::Value(NewValue::Bool(true))
            )])
        );
        let l = plan_system(&m.systems[0], &Operation::Lift);
        assert_eq!(l[0].action, TableAction::Lift);
        assert_eq!(
            l[0].op,
            Op::Set(vec![(
                "restricted".into(),
                SetTo::Value(NewValue::Bool(false))
            )])
        );
    }

    #[test]
    fn rectification_only_of_rectifiable_columns() {
        let m = map();
        let ok = Change {
            system: "app".into(),
            table: "members".into(),
            column: "name".into(),
            value: NewValue::Text("Anna".into()),
        };
        let mut bad = ok.clone();
        bad.column = "email".into();
        let mut twice = ok.clone();
        twice.value = NewValue::Null;
        let mut nowhere = ok.clone();
        nowhere.system = "crm".into();
        let problems = check_changes(&m.systems, &[ok.clone(), bad, twice, nowhere]);
        assert_eq!(
            problems.iter().map(|p| p.index).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(
            problems[0].message.contains("not rectifiable"),
            "{problems:?}"
        );
        let steps = plan_system(&m.systems[0], &Operation::Rectify(vec![ok]));
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].columns, ["name"]);
        assert_eq!(steps[0].action, TableAction::Update);
    }

    #[test]
    fn statements_bind_every_value_and_quote_every_name() {
        let m = map();
        let sys = &m.systems[0];
        let orders = sys.table("orders").unwrap();
        let my_pk = crate::tenant_data::sql::mysql_column("id", "bigint", "bigint(20)", 0);
        let s = keys_batch(
            Dialect::Mysql,
            sys,
            orders,
            &my_pk,
            &[],
            &needles(),
            Some("7"),
            500,
            false,
        )
        .unwrap();
        assert_eq!(
            s.sql,
            "SELECT CAST(`id` AS CHAR) AS k, NULL AS r FROM `orders` WHERE `member_id` IN \
             (SELECT `id` FROM `members` WHERE LOWER(TRIM(`email`)) IN (LOWER(TRIM(?)))) AND \
             `id` > ? ORDER BY `id` LIMIT 500"
        );
        assert_eq!(
            s.binds,
            vec![Bind::Text("anna@example.nl".into()), Bind::Int(7)]
        );
        assert!(!s.sql.contains("anna"));
        let end = batch_end(
            Dialect::Sqlite,
            sys,
            orders,
            &sqlite_column("id", "INTEGER"),
            &needles(),
            Some("9"),
            500,
        )
        .unwrap();
        assert!(
            end.sql
                .ends_with(" AND `id` > ? ORDER BY `id` LIMIT 1 OFFSET 499"),
            "{}",
            end.sql
        );
        let range = delete_range(
            Dialect::Postgres,
            sys,
            orders,
            &pk_pg(),
            &needles(),
            Some("9"),
            Some("20"),
        )
        .unwrap();
        assert!(
            range
                .sql
                .starts_with("DELETE FROM \"orders\" WHERE \"member_id\" IN (SELECT"),
            "{}",
            range.sql
        );
        assert!(
            range
                .sql
                .ends_with(" AND \"id\" > CAST($2 AS bigint) AND \"id\" <= CAST($3 AS bigint)"),
            "{}",
            range.sql
        );
        assert_eq!(range.binds[1..], [Bind::Int(9), Bind::Int(20)]);

        let l = lock_count(Dialect::Postgres, sys, orders, &needles()).unwrap();
        assert!(l.sql.ends_with("FOR UPDATE) AS l"), "{}", l.sql);
        let l = lock_count(Dialect::Sqlite, sys, orders, &needles()).unwrap();
        assert!(!l.sql.contains("FOR UPDATE"));

        let pk = pg_column("id", "bigint");
        let k = keys_batch(
            Dialect::Postgres,
            sys,
            sys.table("members").unwrap(),
            &pk,
            &["email".into()],
            &needles(),
            Some("41"),
            100,
            true,
        )
        .unwrap();
        assert_eq!(
            k.sql,
            "SELECT CAST(\"id\" AS text) AS k, CAST(json_build_array(CAST(\"email\" AS text)) AS \
             text) AS r FROM \"members\" WHERE lower(btrim(CAST(\"email\" AS text))) IN \
             (lower(btrim($1))) AND \"id\" > CAST($2 AS bigint) ORDER BY \"id\" LIMIT 100 FOR UPDATE"
        );
        assert_eq!(k.binds[1], Bind::Int(41));

        let name = pg_column("name", "character varying(80)");
        let flag = pg_column("restricted", "boolean");
        let u = update_keys(
            Dialect::Postgres,
            "members",
            &pk,
            &[
                (&name, NewValue::Text("x".into())),
                (&flag, NewValue::Bool(true)),
            ],
            &["1".into(), "2".into()],
        );
        assert_eq!(
            u.sql,
            "UPDATE \"members\" SET \"name\" = CAST($1 AS character varying(80)), \"restricted\" \
             = CAST($2 AS boolean) WHERE \"id\" IN (CAST($3 AS bigint), CAST($4 AS bigint))"
        );
        assert_eq!(u.binds[1], Bind::Text("true".into()));
        let lite = sqlite_column("id", "INTEGER");
        let u = update_keys(
            Dialect::Sqlite,
            "members",
            &lite,
            &[(
                &sqlite_column("restricted", "BOOLEAN"),
                NewValue::Bool(true),
            )],
            &["7".into()],
        );
        assert_eq!(
            u.sql,
            "UPDATE `members` SET `restricted` = ? WHERE `id` IN (?)"
        );
        assert_eq!(u.binds, vec![Bind::Int(1), Bind::Int(7)]);
    }

    #[test]
    fn json_values_become_new_values() {
        use serde_json::json;
        assert_eq!(NewValue::from_json(&json!(null)), Some(NewValue::Null));
        assert_eq!(NewValue::from_json(&json!(3)), Some(NewValue::Int(3)));
        assert_eq!(
            NewValue::from_json(&json!(2.5)),
            Some(NewValue::Number("2.5".into()))
        );
        assert_eq!(NewValue::from_json(&json!([1])), None);
        assert_eq!(NewValue::Number("2.5".into()).to_json(), json!(2.5));
    }
}
