//! SQL generated from a data map, per dialect: which rows belong to the subject, and one keyset
//! page of them rendered as JSON by the database itself.
//!
//! Owns the text of every query sent to a tenant database. Identifiers come from a validated
//! map (which refuses quote characters, so quoting never needs escaping) or from the database's
//! own catalog; values — the subject's e-mail addresses, phone numbers and customer ids, and the
//! last key of a page — are always bound parameters, never spliced into the text. Pure: no I/O.

use std::collections::BTreeSet;

use super::SubjectIdentities;
use super::datamap::{SystemMap, TableMap};
use crate::domain::IdentityKind;

/// How many values go into one JSON function call: PostgreSQL's functions take at most 100
/// arguments and SQLite's at most 127 (SQLITE_MAX_FUNCTION_ARG); wider rows are rendered as
/// an array of arrays of at most this many values each.
pub const JSON_ARGS_PER_CALL: usize = 100;

/// The SQL dialect of a tenant database, chosen by the URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Mysql,
    Sqlite,
}

impl Dialect {
    /// The dialect of a resolved URL (after `env:`), or None for an unknown scheme.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else if url.starts_with("mysql://") {
            Some(Self::Mysql)
        } else if url.starts_with("sqlite://") {
            Some(Self::Sqlite)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Mysql => "MySQL/MariaDB",
            Self::Sqlite => "SQLite",
        }
    }

    /// A quoted identifier. The map's validation refuses `"` and `` ` `` in names; a catalog
    /// name that holds the quote character is escaped by doubling it all the same.
    ///
    /// SQLite gets backticks, not double quotes: a double-quoted name that matches no column
    /// is taken for a string literal there (its "DQS" compatibility rule), so a misspelt
    /// `follows` column would silently match nothing instead of failing.
    pub fn quote(self, ident: &str) -> String {
        match self {
            Self::Mysql | Self::Sqlite => format!("`{}`", ident.replace('`', "``")),
            Self::Postgres => format!("\"{}\"", ident.replace('"', "\"\"")),
        }
    }

    /// Whether two column names are the same column: PostgreSQL compares quoted names
    /// exactly; MySQL and SQLite column names are case-insensitive.
    pub fn same_column(self, a: &str, b: &str) -> bool {
        match self {
            Self::Postgres => a == b,
            Self::Mysql | Self::Sqlite => a.eq_ignore_ascii_case(b),
        }
    }
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    Text(String),
    Int(i64),
    /// SQL NULL (a value erasure or rectification writes).
    Null,
}

/// Collects bound values and hands out their placeholders (`$n` or `?`) in order.
#[derive(Debug)]
pub struct Params {
    dialect: Dialect,
    pub values: Vec<Bind>,
}

impl Params {
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            values: Vec::new(),
        }
    }

    pub fn push(&mut self, value: Bind) -> String {
        self.values.push(value);
        match self.dialect {
            Dialect::Postgres => format!("${}", self.values.len()),
            Dialect::Mysql | Dialect::Sqlite => "?".to_owned(),
        }
    }
}

/// The subject's identities as they are matched: trimmed, empty ones dropped (an empty value
/// would match every row with an empty column), duplicates removed (e-mail case-insensitively).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needles {
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub customer_ids: Vec<String>,
}

impl Needles {
    pub fn from_subject(s: &SubjectIdentities) -> Self {
        fn clean(values: &[String], fold: bool) -> Vec<String> {
            let mut seen = BTreeSet::new();
            values
                .iter()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .filter(|v| {
                    seen.insert(if fold {
                        v.to_lowercase()
                    } else {
                        v.to_string()
                    })
                })
                .map(str::to_owned)
                .collect()
        }
        Self {
            emails: clean(&s.emails, true),
            phones: clean(&s.phones, false),
            customer_ids: clean(&s.customer_ids, false),
        }
    }

    fn of(&self, kind: IdentityKind) -> &[String] {
        match kind {
            IdentityKind::Email => &self.emails,
            IdentityKind::Phone => &self.phones,
            IdentityKind::CustomerId => &self.customer_ids,
        }
    }
}

/// How the database renders a column into JSON, from its catalog type. Only what differs from
/// the dialect's own JSON rendering needs a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// The JSON function's own rendering.
    Plain,
    /// MySQL `TINYINT(1)`/`BOOLEAN`, SQLite columns declared `BOOL…`: `true`/`false`.
    Boolean,
    /// `bytea`, `BLOB`, `(VAR)BINARY`: a string of lower-case hex digits.
    Binary,
    /// MySQL `DATETIME`/`TIMESTAMP` (fractional digits), SQLite `DATETIME`/`TIMESTAMP`: ISO 8601
    /// with a `T` (`2024-03-01T09:30:00`).
    DateTime { precision: u32 },
    /// SQLite `DECIMAL(p,s)`/`NUMERIC(p,s)`: SQLite keeps such values as REAL, so the number
    /// is written with the declared `s` decimals (12.5 in a DECIMAL(10,2) becomes 12.50).
    Decimal { scale: u32 },
    /// MySQL `BIT(n)`: a number.
    Bit,
}

/// How the primary key is compared with the last key of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    /// Bound as a 64-bit integer.
    Integer,
    /// Bound as text; on PostgreSQL cast to the column's type (as `format_type` spells it).
    Text { pg_type: Option<String> },
}

/// One column as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogColumn {
    pub name: String,
    /// The type as the catalog spells it (PostgreSQL `format_type`, MySQL `COLUMN_TYPE`,
    /// SQLite the declared type).
    pub type_name: String,
    pub kind: ColumnKind,
    pub key: KeyKind,
}

/// A PostgreSQL column from `format_type(atttypid, atttypmod)`.
pub fn pg_column(name: &str, type_name: &str) -> CatalogColumn {
    let kind = if type_name == "bytea" {
        ColumnKind::Binary
    } else {
        ColumnKind::Plain
    };
    let key = match type_name {
        "smallint" | "integer" | "bigint" => KeyKind::Integer,
        // format_type quotes what needs quoting; anything else is not spliced into SQL.
        t if t.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, ' ' | '_' | '(' | ')' | ',' | '.' | '"' | '[' | ']')
        }) =>
        {
            KeyKind::Text {
                pg_type: Some(t.to_owned()),
            }
        }
        _ => KeyKind::Text { pg_type: None },
    };
    CatalogColumn {
        name: name.to_owned(),
        type_name: type_name.to_owned(),
        kind,
        key,
    }
}

/// A MySQL/MariaDB column from `information_schema.COLUMNS`.
pub fn mysql_column(
    name: &str,
    data_type: &str,
    column_type: &str,
    precision: u32,
) -> CatalogColumn {
    let data_type = data_type.to_ascii_lowercase();
    let column_type = column_type.to_ascii_lowercase();
    let kind = if column_type.starts_with("tinyint(1)") {
        ColumnKind::Boolean
    } else {
        match data_type.as_str() {
            "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => {
                ColumnKind::Binary
            }
            "datetime" | "timestamp" => ColumnKind::DateTime {
                precision: precision.min(6),
            },
            "bit" => ColumnKind::Bit,
            _ => ColumnKind::Plain,
        }
    };
    let key = match data_type.as_str() {
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" => KeyKind::Integer,
        _ => KeyKind::Text { pg_type: None },
    };
    CatalogColumn {
        name: name.to_owned(),
        type_name: column_type,
        kind,
        key,
    }
}

/// A SQLite column from `pragma_table_info`: its declared type decides, with SQLite's own
/// affinity rules for the key (a declared type containing INT is an integer).
pub fn sqlite_column(name: &str, declared: &str) -> CatalogColumn {
    let t = declared.to_ascii_uppercase();
    let kind = if t.contains("BOOL") {
        ColumnKind::Boolean
    } else if t.contains("DATETIME") || t.contains("TIMESTAMP") {
        ColumnKind::DateTime { precision: 0 }
    } else if t.starts_with("DECIMAL") || t.starts_with("NUMERIC") {
        match decimal_scale(&t) {
            Some(scale) => ColumnKind::Decimal { scale },
            None => ColumnKind::Plain,
        }
    } else if t.contains("BLOB") {
        ColumnKind::Binary
    } else {
        ColumnKind::Plain
    };
    let key = if t.contains("INT") {
        KeyKind::Integer
    } else {
        KeyKind::Text { pg_type: None }
    };
    CatalogColumn {
        name: name.to_owned(),
        type_name: declared.to_owned(),
        kind,
        key,
    }
}

/// `DECIMAL(10,2)` → 2 (at most 18).
fn decimal_scale(t: &str) -> Option<u32> {
    let inner = t.split_once('(')?.1.split_once(')')?.0;
    let scale = inner.split_once(',')?.1.trim().parse::<u32>().ok()?;
    Some(scale.min(18))
}

/// The expression that renders one column for the dialect's JSON array function.
pub fn column_expr(d: Dialect, c: &CatalogColumn) -> String {
    let q = d.quote(&c.name);
    match d {
        Dialect::Postgres => match c.kind {
            ColumnKind::Binary => format!("encode({q}, 'hex')"),
            _ => q,
        },
        Dialect::Mysql => match c.kind {
            ColumnKind::Boolean => {
                format!("IF({q} IS NULL, NULL, JSON_EXTRACT(IF({q} <> 0, 'true', 'false'), '$'))")
            }
            ColumnKind::Binary => format!("LOWER(HEX({q}))"),
            ColumnKind::DateTime { precision: 0 } => {
                format!("DATE_FORMAT({q}, '%Y-%m-%dT%H:%i:%s')")
            }
            ColumnKind::DateTime { precision } => format!(
                "LEFT(DATE_FORMAT({q}, '%Y-%m-%dT%H:%i:%s.%f'), {})",
                20 + precision
            ),
            ColumnKind::Bit => format!("CAST({q} AS UNSIGNED)"),
            ColumnKind::Plain | ColumnKind::Decimal { .. } => q,
        },
        // SQLite is dynamically typed: any column may hold a BLOB, which json_array refuses,
        // so every column is guarded.
        Dialect::Sqlite => {
            let blob = format!("WHEN 'blob' THEN lower(hex({q}))");
            match c.kind {
                ColumnKind::Boolean => format!(
                    "CASE typeof({q}) WHEN 'integer' THEN iif({q}, json('true'), json('false')) \
                     {blob} ELSE {q} END"
                ),
                ColumnKind::DateTime { .. } => format!(
                    "CASE typeof({q}) WHEN 'text' THEN iif({q} GLOB \
                     '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:*', \
                     substr({q}, 1, 10) || 'T' || substr({q}, 12), {q}) {blob} ELSE {q} END"
                ),
                ColumnKind::Decimal { scale } => format!(
                    "CASE typeof({q}) WHEN 'integer' THEN json(printf('%.{scale}f', {q})) \
                     WHEN 'real' THEN iif(abs({q}) < 1e308, json(printf('%.{scale}f', {q})), {q}) \
                     {blob} ELSE {q} END"
                ),
                _ => format!("CASE typeof({q}) {blob} ELSE {q} END"),
            }
        }
    }
}

fn json_array(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "json_build_array",
        Dialect::Mysql => "JSON_ARRAY",
        Dialect::Sqlite => "json_array",
    }
}

/// The row rendered as one JSON text: a flat array, or (wider than [`JSON_ARGS_PER_CALL`]
/// columns) an array of arrays. Returns the expression and whether it is nested.
pub fn row_expr(d: Dialect, columns: &[CatalogColumn]) -> (String, bool) {
    let f = json_array(d);
    let exprs: Vec<String> = columns.iter().map(|c| column_expr(d, c)).collect();
    let nested = exprs.len() > JSON_ARGS_PER_CALL;
    let array = if nested {
        let chunks: Vec<String> = exprs
            .chunks(JSON_ARGS_PER_CALL)
            .map(|c| format!("{f}({})", c.join(", ")))
            .collect();
        format!("{f}({})", chunks.join(", "))
    } else {
        format!("{f}({})", exprs.join(", "))
    };
    let text = match d {
        Dialect::Postgres => format!("CAST({array} AS text)"),
        Dialect::Mysql => format!("CAST({array} AS CHAR)"),
        Dialect::Sqlite => array,
    };
    (text, nested)
}

/// The key as text, to bind it again for the next page.
fn key_text(d: Dialect, pk: &str) -> String {
    let q = d.quote(pk);
    match d {
        Dialect::Postgres => format!("CAST({q} AS text)"),
        Dialect::Mysql => format!("CAST({q} AS CHAR)"),
        Dialect::Sqlite => format!("CAST({q} AS TEXT)"),
    }
}

fn identity_condition(
    d: Dialect,
    kind: IdentityKind,
    column: &str,
    values: &[String],
    params: &mut Params,
) -> String {
    let q = d.quote(column);
    // PostgreSQL's trim() takes text only: an integer customer-id column is cast.
    let col = match d {
        Dialect::Postgres => format!("btrim(CAST({q} AS text))"),
        Dialect::Mysql => format!("TRIM({q})"),
        Dialect::Sqlite => format!("trim({q})"),
    };
    let trim = match d {
        Dialect::Postgres => "btrim",
        Dialect::Mysql => "TRIM",
        Dialect::Sqlite => "trim",
    };
    let lower = match d {
        Dialect::Mysql => "LOWER",
        Dialect::Postgres | Dialect::Sqlite => "lower",
    };
    let placeholders: Vec<String> = values
        .iter()
        .map(|v| {
            let p = params.push(Bind::Text(v.clone()));
            match kind {
                IdentityKind::Email => format!("{lower}({trim}({p}))"),
                IdentityKind::Phone | IdentityKind::CustomerId => format!("{trim}({p})"),
            }
        })
        .collect();
    let lhs = match kind {
        IdentityKind::Email => format!("{lower}({col})"),
        IdentityKind::Phone | IdentityKind::CustomerId => col,
    };
    format!("{lhs} IN ({})", placeholders.join(", "))
}

/// The condition that selects the subject's rows of `table`, or None when no path leads to
/// the table for the identities the subject has (then it has no rows there).
///
/// A root table matches on its identity columns (e-mail lower-cased and trimmed, phone and
/// customer id trimmed); a table that follows others matches rows whose column is among the
/// referenced column of the subject's rows there, as a nested `IN (SELECT …)`, to any depth.
/// Several identity columns and several `follows` are ORed. Nothing but SQL goes to the
/// database: no key lists travel through the client, however many rows the subject has.
pub fn subject_condition(
    d: Dialect,
    system: &SystemMap,
    table: &TableMap,
    needles: &Needles,
    params: &mut Params,
) -> Option<String> {
    condition_at(d, system, table, needles, params, 0)
}

fn condition_at(
    d: Dialect,
    system: &SystemMap,
    table: &TableMap,
    needles: &Needles,
    params: &mut Params,
    depth: usize,
) -> Option<String> {
    // A validated map is acyclic; a map that was not validated stops here, not in a stack
    // overflow.
    if depth > system.tables.len() {
        return None;
    }
    let mut parts = Vec::new();
    for (kind, column) in &table.identity {
        let values = needles.of(*kind);
        if !values.is_empty() {
            parts.push(identity_condition(d, *kind, column, values, params));
        }
    }
    for f in &table.follows {
        let Some(parent) = system.table(&f.table) else {
            continue;
        };
        if let Some(cond) = condition_at(d, system, parent, needles, params, depth + 1) {
            parts.push(format!(
                "{} IN (SELECT {} FROM {} WHERE {cond})",
                d.quote(&f.column),
                d.quote(&f.references),
                d.quote(&parent.name),
            ));
        }
    }
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(format!("({})", parts.join(" OR "))),
    }
}

/// The queries that read the subject's rows of one table, in primary-key order, as one
/// statement the database plans once (a statement re-run per page with `LIMIT` makes the
/// database find, render and sort the subject's remaining rows again for every page:
/// quadratic in the subject's rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableQuery {
    /// `SELECT <key as text> AS k, <row as JSON> AS r FROM t WHERE <subject> ORDER BY pk`:
    /// streamed through a cursor (PostgreSQL) or row by row (MySQL, SQLite).
    pub rows: String,
    /// The subject's values, in placeholder order.
    pub binds: Vec<Bind>,
    /// Whether each row's JSON is an array of arrays (wide tables).
    pub nested: bool,
}

/// Builds the queries for `table`. `columns` are the exported columns in table order; `pk`
/// is the primary key as the catalog spells it. None when the subject can have no rows in
/// the table.
pub fn table_query(
    d: Dialect,
    system: &SystemMap,
    table: &TableMap,
    columns: &[CatalogColumn],
    pk: &CatalogColumn,
    needles: &Needles,
) -> Option<TableQuery> {
    let mut params = Params::new(d);
    let cond = subject_condition(d, system, table, needles, &mut params)?;
    let (row, nested) = row_expr(d, columns);
    let qpk = d.quote(&pk.name);
    let qtable = d.quote(&table.name);
    let key = key_text(d, &pk.name);
    Some(TableQuery {
        rows: format!("SELECT {key} AS k, {row} AS r FROM {qtable} WHERE {cond} ORDER BY {qpk}"),
        binds: params.values,
        nested,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::tenant_data::DataMap;

    const MAP: &str = r#"
tenant = "demo"
[[systems]]
name = "app"
url = "sqlite://app.db"
[[systems.tables]]
name = "members"
primary_key = "id"
identity = { email = "email", phone = "phone" }
[[systems.tables]]
name = "orders"
primary_key = "id"
follows = [{ column = "member_id", table = "members", references = "id" }]
[[systems.tables]]
name = "order_lines"
primary_key = "id"
follows = [{ column = "order_id", table = "orders", references = "id" }]
[[systems.tables]]
name = "calls"
primary_key = "id"
identity = { phone = "phone" }
[[systems.tables]]
name = "notes"
primary_key = "id"
follows = [
  { column = "member_id", table = "members", references = "id" },
  { column = "call_id", table = "calls", references = "id" },
]
"#;

    fn map() -> DataMap {
        DataMap::parse(MAP, "t.toml").unwrap()
    }

    fn email(e: &str) -> Needles {
        Needles::from_subject(&SubjectIdentities {
            emails: vec![e.to_owned()],
            ..Default::default()
        })
    }

    fn cond(d: Dialect, table: &str, n: &Needles) -> (Option<String>, Vec<Bind>) {
        let m = map();
        let sys = &m.systems[0];
        let mut p = Params::new(d);
        let c = subject_condition(d, sys, sys.table(table).unwrap(), n, &mut p);
        (c, p.values)
    }

    #[test]
    fn quoting_per_dialect() {
        assert_eq!(Dialect::Postgres.quote("order"), "\"order\"");
        assert_eq!(Dialect::Postgres.quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Sqlite.quote("order"), "`order`");
        assert_eq!(Dialect::Mysql.quote("order"), "`order`");
        assert_eq!(Dialect::Mysql.quote("a`b"), "`a``b`");
        assert_eq!(Dialect::from_url("postgresql://x"), Some(Dialect::Postgres));
        assert_eq!(Dialect::from_url("mysql://x"), Some(Dialect::Mysql));
        assert_eq!(Dialect::from_url("sqlite://x.db"), Some(Dialect::Sqlite));
        assert_eq!(Dialect::from_url("env:X"), None);
        assert!(Dialect::Mysql.same_column("Email", "email"));
        assert!(!Dialect::Postgres.same_column("Email", "email"));
    }

    #[test]
    fn needles_are_trimmed_deduplicated_and_never_empty() {
        let n = Needles::from_subject(&SubjectIdentities {
            emails: vec![
                " Anna@Example.nl ".into(),
                "anna@example.nl".into(),
                "  ".into(),
            ],
            phones: vec!["".into()],
            customer_ids: vec!["C1".into(), "C1 ".into()],
        });
        assert_eq!(n.emails, vec!["Anna@Example.nl"]);
        assert!(n.phones.is_empty());
        assert_eq!(n.customer_ids, vec!["C1"]);
    }

    #[test]
    fn root_table_matches_email_case_insensitively_and_trimmed() {
        let (c, binds) = cond(Dialect::Postgres, "members", &email("anna@example.nl"));
        assert_eq!(
            c.unwrap(),
            "lower(btrim(CAST(\"email\" AS text))) IN (lower(btrim($1)))"
        );
        assert_eq!(binds, vec![Bind::Text("anna@example.nl".into())]);
        let (c, _) = cond(Dialect::Mysql, "members", &email("a@b.nl"));
        assert_eq!(c.unwrap(), "LOWER(TRIM(`email`)) IN (LOWER(TRIM(?)))");
        let (c, _) = cond(Dialect::Sqlite, "members", &email("a@b.nl"));
        assert_eq!(c.unwrap(), "lower(trim(`email`)) IN (lower(trim(?)))");
    }

    #[test]
    fn several_identities_are_ored_and_numbered_in_order() {
        let n = Needles::from_subject(&SubjectIdentities {
            emails: vec!["a@b.nl".into(), "c@d.nl".into()],
            phones: vec!["0612345678".into()],
            customer_ids: vec![],
        });
        let (c, binds) = cond(Dialect::Postgres, "members", &n);
        assert_eq!(
            c.unwrap(),
            "(lower(btrim(CAST(\"email\" AS text))) IN (lower(btrim($1)), lower(btrim($2))) \
             OR btrim(CAST(\"phone\" AS text)) IN (btrim($3)))"
        );
        assert_eq!(binds.len(), 3);
    }

    #[test]
    fn follows_nest_to_any_depth() {
        let (c, binds) = cond(Dialect::Postgres, "order_lines", &email("a@b.nl"));
        assert_eq!(
            c.unwrap(),
            "\"order_id\" IN (SELECT \"id\" FROM \"orders\" WHERE \"member_id\" IN \
             (SELECT \"id\" FROM \"members\" WHERE lower(btrim(CAST(\"email\" AS text))) IN \
             (lower(btrim($1)))))"
        );
        assert_eq!(binds.len(), 1);
    }

    #[test]
    fn a_table_following_several_tables_ors_the_paths_it_has() {
        let n = Needles::from_subject(&SubjectIdentities {
            emails: vec!["a@b.nl".into()],
            phones: vec!["06".into()],
            customer_ids: vec![],
        });
        let (c, binds) = cond(Dialect::Mysql, "notes", &n);
        let c = c.unwrap();
        assert!(c.starts_with("(`member_id` IN (SELECT `id` FROM `members` WHERE "));
        assert!(c.contains(
            " OR `call_id` IN (SELECT `id` FROM `calls` WHERE TRIM(`phone`) IN (TRIM(?)))"
        ));
        assert_eq!(binds.len(), 3); // e-mail and phone for members, phone for calls
        // Only an e-mail: the calls path falls away.
        let (c, _) = cond(Dialect::Mysql, "notes", &email("a@b.nl"));
        assert!(!c.unwrap().contains("calls"));
    }

    #[test]
    fn a_table_without_a_path_for_the_subject_has_no_condition() {
        let (c, binds) = cond(Dialect::Postgres, "calls", &email("a@b.nl"));
        assert_eq!(c, None);
        assert!(binds.is_empty());
        let (c, _) = cond(Dialect::Postgres, "members", &Needles::default());
        assert_eq!(c, None);
    }

    #[test]
    fn table_queries_key_on_the_primary_key() {
        let m = map();
        let sys = &m.systems[0];
        let t = sys.table("members").unwrap();
        let cols = vec![pg_column("id", "bigint"), pg_column("email", "text")];
        let q = table_query(Dialect::Postgres, sys, t, &cols, &cols[0], &email("a@b.nl")).unwrap();
        assert_eq!(
            q.rows,
            "SELECT CAST(\"id\" AS text) AS k, CAST(json_build_array(\"id\", \"email\") AS text) \
             AS r FROM \"members\" WHERE lower(btrim(CAST(\"email\" AS text))) IN \
             (lower(btrim($1))) ORDER BY \"id\""
        );
        assert!(!q.nested);

        let vc = pg_column("code", "character varying(20)");
        assert_eq!(
            vc.key,
            KeyKind::Text {
                pg_type: Some("character varying(20)".into())
            }
        );

        let m_cols = vec![
            mysql_column("id", "varchar", "varchar(20)", 0),
            mysql_column("ok", "tinyint", "tinyint(1)", 0),
        ];
        let q = table_query(Dialect::Mysql, sys, t, &m_cols, &m_cols[0], &email("a")).unwrap();
        assert!(
            q.rows
                .starts_with("SELECT CAST(`id` AS CHAR) AS k, CAST(JSON_ARRAY(`id`, IF(")
        );
        assert!(q.rows.ends_with(" ORDER BY `id`"));
    }

    #[test]
    fn a_table_the_subject_cannot_reach_has_no_query() {
        let m = map();
        let sys = &m.systems[0];
        let cols = vec![sqlite_column("id", "INTEGER")];
        let calls = sys.table("calls").unwrap();
        assert!(table_query(Dialect::Sqlite, sys, calls, &cols, &cols[0], &email("a")).is_none());
    }

    #[test]
    fn wide_rows_are_split_into_arrays_of_at_most_100_values() {
        let cols: Vec<CatalogColumn> = (0..250)
            .map(|i| sqlite_column(&format!("c{i}"), "TEXT"))
            .collect();
        let (e, nested) = row_expr(Dialect::Postgres, &cols);
        assert!(nested);
        assert_eq!(e.matches("json_build_array(").count(), 4); // outer + 3 chunks
        let (_, nested) = row_expr(Dialect::Sqlite, &cols[..100]);
        assert!(!nested);
    }

    #[test]
    fn column_rendering_per_type() {
        assert_eq!(
            column_expr(Dialect::Postgres, &pg_column("b", "bytea")),
            "encode(\"b\", 'hex')"
        );
        assert_eq!(
            column_expr(Dialect::Postgres, &pg_column("n", "numeric(10,2)")),
            "\"n\""
        );
        let m = |dt: &str, ct: &str, p| column_expr(Dialect::Mysql, &mysql_column("c", dt, ct, p));
        assert_eq!(
            m("tinyint", "tinyint(1)", 0),
            "IF(`c` IS NULL, NULL, JSON_EXTRACT(IF(`c` <> 0, 'true', 'false'), '$'))"
        );
        assert_eq!(m("tinyint", "tinyint(4)", 0), "`c`");
        assert_eq!(m("varbinary", "varbinary(16)", 0), "LOWER(HEX(`c`))");
        assert_eq!(
            m("datetime", "datetime", 0),
            "DATE_FORMAT(`c`, '%Y-%m-%dT%H:%i:%s')"
        );
        assert_eq!(
            m("datetime", "datetime(3)", 3),
            "LEFT(DATE_FORMAT(`c`, '%Y-%m-%dT%H:%i:%s.%f'), 23)"
        );
        assert_eq!(m("decimal", "decimal(10,2)", 0), "`c`");
        assert_eq!(m("bit", "bit(3)", 0), "CAST(`c` AS UNSIGNED)");

        assert_eq!(
            sqlite_column("d", "DECIMAL(10, 2)").kind,
            ColumnKind::Decimal { scale: 2 }
        );
        assert_eq!(sqlite_column("d", "decimal").kind, ColumnKind::Plain);
        assert_eq!(sqlite_column("b", "BOOLEAN").kind, ColumnKind::Boolean);
        assert_eq!(
            sqlite_column("t", "TIMESTAMP").kind,
            ColumnKind::DateTime { precision: 0 }
        );
        assert_eq!(sqlite_column("i", "BIGINT").key, KeyKind::Integer);
        assert_eq!(
            sqlite_column("s", "TEXT").key,
            KeyKind::Text { pg_type: None }
        );
        let e = column_expr(Dialect::Sqlite, &sqlite_column("d", "NUMERIC(8,2)"));
        assert!(e.contains("json(printf('%.2f', `d`))"), "{e}");
        let e = column_expr(Dialect::Sqlite, &sqlite_column("x", "TEXT"));
        assert_eq!(
            e,
            "CASE typeof(`x`) WHEN 'blob' THEN lower(hex(`x`)) ELSE `x` END"
        );
    }

    #[test]
    fn pg_types_that_could_inject_are_not_spliced() {
        assert_eq!(
            pg_column("k", "x'; DROP TABLE t; --").key,
            KeyKind::Text { pg_type: None }
        );
    }
}
