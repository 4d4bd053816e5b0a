//! Data maps (`exports/<tenant>.toml`, every key in exports/README.md): where one tenant's personal
//! data lives, parsed into a typed, validated graph.
//!
//! Owns the file format: TOML read into raw structs (`serde(deny_unknown_fields)`, one piece
//! at a time so an error can say which system and table it is in), then turned into the
//! typed [`DataMap`] and checked by [`validate`](super::validate). Every error names the file,
//! the system, the table and the key. A URL is never repeated in an error (it may hold a
//! password), and neither is a line of the file (a syntax error says line and column only).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::domain::IdentityKind;

/// One tenant's data map: its systems (databases) and their tables.
#[derive(Debug, Clone, PartialEq)]
pub struct DataMap {
    /// The tenant's slug (`tenant = "demo"`).
    pub tenant: String,
    /// The file it was read from, for error messages (`exports/demo.toml`).
    pub file: String,
    pub systems: Vec<SystemMap>,
    /// Dutch and English wordings of the purposes, categories, retention and source texts
    /// that the map gave as `{ nl = "…", en = "…" }`, keyed by the text the other fields
    /// hold (the Dutch one, else the English one). A text without an entry reads the same in
    /// both languages.
    pub labels: BTreeMap<String, Label>,
}

/// A text of the map in Dutch and English; at least one is given. The bundle's Dutch and
/// English summaries each take their own, and fall back to the other when it is missing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Label {
    pub nl: Option<String>,
    pub en: Option<String>,
}

impl Label {
    /// The text in `language`, else in the other one.
    pub fn get(&self, language: crate::domain::Language) -> Option<&str> {
        let (first, second) = match language {
            crate::domain::Language::Nl => (&self.nl, &self.en),
            crate::domain::Language::En => (&self.en, &self.nl),
        };
        first.as_deref().or(second.as_deref())
    }
}

impl DataMap {
    /// `text` (as a field of the map holds it) in `language`: its label's wording there, or
    /// the text itself.
    pub fn label<'a>(&'a self, text: &'a str, language: crate::domain::Language) -> &'a str {
        self.labels
            .get(text)
            .and_then(|l| l.get(language))
            .unwrap_or(text)
    }
}

/// A label as written: a plain string (the same in both languages) or `{ nl, en }`. Answers
/// the text the field keeps and, for the table form, the label to remember.
fn parse_label(v: toml::Value, key: &str) -> Result<(String, Option<Label>), String> {
    match v {
        toml::Value::String(s) => Ok((s, None)),
        toml::Value::Table(t) => {
            let mut label = Label::default();
            for (k, v) in t {
                let text = match v {
                    toml::Value::String(s) => s,
                    _ => return Err(format!("key {key}.{k}: invalid type: expected a string")),
                };
                match k.as_str() {
                    "nl" => label.nl = Some(text),
                    "en" => label.en = Some(text),
                    other => {
                        return Err(format!("key {key}: unknown key {other:?}: use nl and en"));
                    }
                }
            }
            let text = label
                .nl
                .clone()
                .or_else(|| label.en.clone())
                .ok_or_else(|| format!("key {key}: give nl, en or both"))?;
            Ok((text, Some(label)))
        }
        _ => Err(format!(
            "key {key}: invalid type: expected a text, or {{ nl = \"…\", en = \"…\" }}"
        )),
    }
}

/// One database of the tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemMap {
    /// Short name, used in bundle paths (`data/<system>/<table>.json`).
    pub name: String,
    /// As written in the map: `postgres://…`, `mysql://…`, `sqlite://PATH` or `env:VAR`.
    /// Resolve with [`SystemMap::resolve_url`]; never log it (it may hold a password).
    pub url: String,
    /// Shown in the overview of systems.
    pub description: String,
    pub tables: Vec<TableMap>,
}

/// One table of a system and what the bundle says about its data (art. 15(1)).
#[derive(Debug, Clone, PartialEq)]
pub struct TableMap {
    pub name: String,
    pub primary_key: String,
    /// Identity type → column; a table with any is a root table.
    pub identity: BTreeMap<IdentityKind, String>,
    /// Columns never exported.
    pub exclude: Vec<String>,
    /// Default category of its columns.
    pub category: Option<String>,
    /// Per-column categories.
    pub columns: BTreeMap<String, String>,
    pub purposes: Vec<String>,
    pub retention: Option<String>,
    pub source: Option<String>,
    /// Who receives the data (art. 15(1)(c)); those with an address are told of a
    /// rectification, erasure or restriction (art. 19).
    pub recipients: Vec<Recipient>,
    /// Rows reached from rows of other tables of the same system.
    pub follows: Vec<Follow>,
    /// What erasure does to the subject's rows (art. 17); `None`: the map says nothing, so
    /// the table is only exported.
    pub on_erasure: Option<ErasureRule>,
    /// Why the rows are kept (`on_erasure = "keep"`), told to the subject (art. 17(3)).
    pub keep_reason: Option<String>,
    /// How this table marks a row whose processing is restricted (art. 18).
    pub restriction: Option<Restriction>,
    /// Columns staff may correct (art. 16).
    pub rectifiable: Vec<String>,
}

/// `on_erasure`: what erasing the subject does to a table's rows (art. 17; processing
/// agreement 7.5(ii)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErasureRule {
    /// `"delete"`: the rows are deleted (children before parents).
    Delete,
    /// `"cascade"`: the database deletes the rows itself, through a foreign key with
    /// `ON DELETE CASCADE` from the rows the table follows; inzage counts them, it issues no
    /// statement of its own.
    Cascade,
    /// `"keep"`: the rows stay, for the reason in `keep_reason` (e.g. a statutory retention
    /// period, art. 17(3)(b)).
    Keep,
    /// `{ mask = { column = "null" | "redact" | "hash" } }`: the rows stay, these columns are
    /// overwritten.
    Mask(BTreeMap<String, Mask>),
}

/// How one column is overwritten on erasure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// `"null"`: set to NULL.
    Null,
    /// `"redact"`: replaced by a fixed text saying it was erased.
    Redact,
    /// `"hash"`: replaced by a keyed one-way hash, so equal values stay equal (a kept
    /// record can still be matched) but the value cannot be read back.
    Hash,
}

impl Mask {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Redact => "redact",
            Self::Hash => "hash",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "null" => Some(Self::Null),
            "redact" => Some(Self::Redact),
            "hash" => Some(Self::Hash),
            _ => None,
        }
    }
}

impl ErasureRule {
    /// The word the data map uses for the rule.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Cascade => "cascade",
            Self::Keep => "keep",
            Self::Mask(_) => "mask",
        }
    }

    /// Whether the subject's rows are gone afterwards.
    pub fn removes_rows(&self) -> bool {
        matches!(self, Self::Delete | Self::Cascade)
    }
}

/// `restriction = { column = "processing_restricted", value = true }`: restricting sets
/// `column` to `value` on the subject's rows, lifting sets it to `lifted` (art. 18(1), 18(3)).
#[derive(Debug, Clone, PartialEq)]
pub struct Restriction {
    pub column: String,
    pub value: FlagValue,
    /// The value that marks a row as no longer restricted: the opposite of a boolean
    /// `value`; needed in the map for any other type.
    pub lifted: FlagValue,
}

/// A value a restriction column is set to.
#[derive(Debug, Clone, PartialEq)]
pub enum FlagValue {
    Bool(bool),
    Integer(i64),
    Text(String),
}

impl FlagValue {
    fn from_toml(v: &toml::Value) -> Option<Self> {
        match v {
            toml::Value::Boolean(b) => Some(Self::Bool(*b)),
            toml::Value::Integer(i) => Some(Self::Integer(*i)),
            toml::Value::String(s) => Some(Self::Text(s.clone())),
            _ => None,
        }
    }
}

/// A recipient of a table's data: a name (art. 15(1)(c)) and, where the controller gave one,
/// the address that is told of a rectification, erasure or restriction (art. 19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    pub email: Option<String>,
}

/// `follows = [{ column = "member_id", table = "members", references = "id" }]`: a row of this
/// table belongs to the subject if `column` equals `references` of a subject's row of `table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follow {
    pub column: String,
    pub table: String,
    pub references: String,
}

/// A data map that cannot be used; the message names the file, system, table and key.
/// Several problems are reported at once, one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DataMapError {
    pub message: String,
}

impl DataMapError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl DataMap {
    /// Reads and validates a data map file.
    pub fn load(path: &Path) -> Result<Self, DataMapError> {
        let text = std::fs::read_to_string(path).map_err(|e| DataMapError {
            message: format!("{}: cannot read: {e}", path.display()),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and validates a data map; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, DataMapError> {
        let map = parse_raw(text, file)?;
        map.validate()?;
        Ok(map)
    }

    /// Checks a data map that was built in code the way [`DataMap::parse`] checks a file:
    /// names, identity types, `follows` references, cycles and reachability.
    pub fn validate(&self) -> Result<(), DataMapError> {
        let problems = super::validate::problems(self);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DataMapError::new(problems.join("\n")))
        }
    }

    pub fn system(&self, name: &str) -> Option<&SystemMap> {
        self.systems.iter().find(|s| s.name == name)
    }

    /// How many tables a full export walks (for progress).
    pub fn table_count(&self) -> usize {
        self.systems.iter().map(|s| s.tables.len()).sum()
    }
}

impl SystemMap {
    /// The connection URL, with `env:VAR` read from the environment.
    pub fn resolve_url(&self) -> Result<String, DataMapError> {
        self.resolve_url_with(&|_| None)
    }

    /// The connection URL, with `env:VAR` looked up in `vars` first and then in the process
    /// environment. Lets a caller point a system at a database it made (the demo) without
    /// changing the environment of a running process.
    pub fn resolve_url_with(
        &self,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, DataMapError> {
        match self.url.strip_prefix("env:") {
            Some(var) => vars(var)
                .or_else(|| std::env::var(var).ok())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| DataMapError {
                    message: format!(
                        "system {}: the environment variable {var} is not set",
                        self.name
                    ),
                }),
            None => Ok(self.url.clone()),
        }
    }

    pub fn table(&self, name: &str) -> Option<&TableMap> {
        self.tables.iter().find(|t| t.name == name)
    }
}

impl TableMap {
    /// A root table: one with identity columns.
    pub fn is_root(&self) -> bool {
        !self.identity.is_empty()
    }

    /// Whether `column` is in `exclude` (compared as written; the connectors compare with the
    /// database's own rules for column names).
    pub fn excludes(&self, column: &str) -> bool {
        self.exclude.iter().any(|c| c == column)
    }

    /// The recipients' names, as the bundle lists them.
    pub fn recipient_names(&self) -> Vec<String> {
        self.recipients.iter().map(|r| r.name.clone()).collect()
    }
}

// ---- the file format, as read ----------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    tenant: Option<String>,
    #[serde(default)]
    systems: Vec<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSystem {
    #[allow(dead_code)] // read before the rest, to name the system in errors
    name: Option<String>,
    url: Option<String>,
    description: Option<String>,
    #[serde(default)]
    tables: Vec<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[allow(dead_code)] // read before the rest, to name the table in errors
    name: Option<String>,
    primary_key: Option<String>,
    #[serde(default)]
    identity: BTreeMap<String, String>,
    #[serde(default)]
    exclude: Vec<String>,
    category: Option<toml::Value>,
    #[serde(default)]
    columns: BTreeMap<String, toml::Value>,
    #[serde(default)]
    purposes: Vec<toml::Value>,
    retention: Option<toml::Value>,
    source: Option<toml::Value>,
    #[serde(default)]
    recipients: Vec<toml::Value>,
    #[serde(default)]
    follows: Vec<toml::Table>,
    on_erasure: Option<toml::Value>,
    keep_reason: Option<String>,
    restriction: Option<toml::Table>,
    #[serde(default)]
    rectifiable: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRestriction {
    column: Option<String>,
    value: Option<toml::Value>,
    lifted: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipient {
    name: Option<String>,
    email: Option<String>,
}

const ON_ERASURE_FORMS: &str = "use \"delete\", \"cascade\", \"keep\" or \
                                { mask = { column = \"null\" | \"redact\" | \"hash\" } }";

/// `on_erasure` as written → the rule, or what is wrong with it.
fn parse_on_erasure(v: &toml::Value) -> Result<ErasureRule, String> {
    match v {
        toml::Value::String(s) => match s.as_str() {
            "delete" => Ok(ErasureRule::Delete),
            "cascade" => Ok(ErasureRule::Cascade),
            "keep" => Ok(ErasureRule::Keep),
            "mask" => Err(format!(
                "on_erasure: \"mask\" needs the columns and how: {ON_ERASURE_FORMS}"
            )),
            other => Err(format!(
                "on_erasure: unknown rule \"{other}\": {ON_ERASURE_FORMS}"
            )),
        },
        toml::Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| k.as_str() != "mask") {
                return Err(format!("on_erasure: unknown key `{k}`: {ON_ERASURE_FORMS}"));
            }
            let Some(toml::Value::Table(cols)) = t.get("mask") else {
                return Err(
                    "on_erasure.mask must be a table of column = \"null\" | \"redact\" | \"hash\""
                        .to_owned(),
                );
            };
            if cols.is_empty() {
                return Err("on_erasure.mask names no columns".to_owned());
            }
            let mut out = BTreeMap::new();
            for (col, how) in cols {
                let m = how.as_str().and_then(Mask::parse).ok_or_else(|| {
                    format!("on_erasure.mask.{col}: use \"null\", \"redact\" or \"hash\"")
                })?;
                out.insert(col.clone(), m);
            }
            Ok(ErasureRule::Mask(out))
        }
        _ => Err(format!("on_erasure: {ON_ERASURE_FORMS}")),
    }
}

/// `restriction` as written → the typed flag, or what is wrong with it.
fn parse_restriction(t: toml::Table) -> Result<Restriction, String> {
    let raw: RawRestriction = toml::Value::Table(t)
        .try_into()
        .map_err(|e| format!("restriction: {}", shape_error(&e)))?;
    let column = raw.column.unwrap_or_default();
    if column.is_empty() {
        return Err("restriction.column is missing".to_owned());
    }
    let value = raw
        .value
        .as_ref()
        .ok_or_else(|| "restriction.value is missing".to_owned())
        .and_then(|v| {
            FlagValue::from_toml(v).ok_or_else(|| {
                "restriction.value must be true/false, a whole number or a text".to_owned()
            })
        })?;
    let lifted = match (&raw.lifted, &value) {
        (Some(v), _) => FlagValue::from_toml(v).ok_or_else(|| {
            "restriction.lifted must be true/false, a whole number or a text".to_owned()
        })?,
        (None, FlagValue::Bool(b)) => FlagValue::Bool(!b),
        (None, _) => {
            return Err(
                "restriction.lifted is needed when value is not true or false (the value \
                 that marks a row as no longer restricted)"
                    .to_owned(),
            );
        }
    };
    if std::mem::discriminant(&lifted) != std::mem::discriminant(&value) {
        return Err("restriction.lifted must be of the same type as restriction.value".to_owned());
    }
    if lifted == value {
        return Err("restriction.lifted must differ from restriction.value".to_owned());
    }
    Ok(Restriction {
        column,
        value,
        lifted,
    })
}

/// One entry of `recipients`: a name, or `{ name, email }`.
fn parse_recipient(v: toml::Value, i: usize) -> Result<Recipient, String> {
    match v {
        toml::Value::String(name) => Ok(Recipient { name, email: None }),
        toml::Value::Table(t) => {
            let raw: RawRecipient = toml::Value::Table(t)
                .try_into()
                .map_err(|e| format!("recipients[{i}]: {}", shape_error(&e)))?;
            Ok(Recipient {
                name: raw.name.unwrap_or_default(),
                email: raw.email,
            })
        }
        _ => Err(format!(
            "recipients[{i}]: a name, or {{ name = \"…\", email = \"…\" }}"
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFollow {
    column: Option<String>,
    table: Option<String>,
    references: Option<String>,
}

/// Turns a serde error from a part of the file into "key K: problem" / "unknown key `K`".
fn shape_error(e: &toml::de::Error) -> String {
    // Deserialized from a value, the error carries no input: its Display is the message
    // plus "in `key.path`" when serde knew the key.
    let message = e.message().replace("unknown field", "unknown key");
    let shown = e.to_string();
    let key = shown
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("in `").and_then(|k| k.strip_suffix('`')));
    match key {
        Some(k) => format!("key {k}: {message}"),
        None => message,
    }
}

/// Line and column (1-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit_once('\n')
        .map_or(before, |(_, l)| l)
        .chars()
        .count()
        + 1;
    (line, col)
}

fn name_of(t: &toml::Table, what: &str, index: usize) -> String {
    match t.get("name").and_then(toml::Value::as_str) {
        Some(n) if !n.trim().is_empty() => n.to_owned(),
        _ => format!("{what} #{}", index + 1),
    }
}

fn parse_raw(text: &str, file: &str) -> Result<DataMap, DataMapError> {
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // Only line and column: the offending line may hold a URL with a password.
        let at = e
            .span()
            .map(|s| {
                let (l, c) = line_col(text, s.start);
                format!("line {l}, column {c}: ")
            })
            .unwrap_or_default();
        DataMapError::new(format!("{file}: {at}{}", e.message().trim_end()))
    })?;
    let raw: RawMap = toml::Value::Table(doc)
        .try_into()
        .map_err(|e| DataMapError::new(format!("{file}: {}", shape_error(&e))))?;

    let mut problems = Vec::new();
    let tenant = raw.tenant.unwrap_or_default();
    let mut systems = Vec::new();
    let mut labels: BTreeMap<String, Label> = BTreeMap::new();
    for (si, sys) in raw.systems.into_iter().enumerate() {
        let sys_name = name_of(&sys, "system", si);
        let at = format!("{file}: system {sys_name}");
        let name = sys
            .get("name")
            .and_then(toml::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let rs: RawSystem = match toml::Value::Table(sys).try_into() {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{at}: {}", shape_error(&e)));
                continue;
            }
        };
        let mut tables = Vec::new();
        for (ti, tab) in rs.tables.into_iter().enumerate() {
            let tab_name = name_of(&tab, "table", ti);
            let at = format!("{at}, table {tab_name}");
            let tname = tab
                .get("name")
                .and_then(toml::Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let rt: RawTable = match toml::Value::Table(tab).try_into() {
                Ok(r) => r,
                Err(e) => {
                    problems.push(format!("{at}: {}", shape_error(&e)));
                    continue;
                }
            };
            let mut identity = BTreeMap::new();
            for (kind, column) in rt.identity {
                match kind.parse::<IdentityKind>() {
                    Ok(k) => {
                        identity.insert(k, column);
                    }
                    Err(_) => problems.push(format!(
                        "{at}: identity.{kind}: unknown identity type (use email, phone or \
                         customer_id)"
                    )),
                }
            }
            let mut follows = Vec::new();
            for (fi, f) in rt.follows.into_iter().enumerate() {
                let rf: RawFollow = match toml::Value::Table(f).try_into() {
                    Ok(r) => r,
                    Err(e) => {
                        problems.push(format!("{at}: follows[{fi}]: {}", shape_error(&e)));
                        continue;
                    }
                };
                follows.push(Follow {
                    column: rf.column.unwrap_or_default(),
                    table: rf.table.unwrap_or_default(),
                    references: rf.references.unwrap_or_default(),
                });
            }
            let on_erasure = match rt.on_erasure.as_ref().map(parse_on_erasure) {
                Some(Ok(r)) => Some(r),
                Some(Err(p)) => {
                    problems.push(format!("{at}: {p}"));
                    None
                }
                None => None,
            };
            let restriction = match rt.restriction.map(parse_restriction) {
                Some(Ok(r)) => Some(r),
                Some(Err(p)) => {
                    problems.push(format!("{at}: {p}"));
                    None
                }
                None => None,
            };
            // Texts the subject reads: plain, or `{ nl, en }`.
            let mut text = |v: Option<toml::Value>, key: &str| -> Option<String> {
                match parse_label(v?, key) {
                    Ok((t, l)) => {
                        if let Some(l) = l {
                            labels.insert(t.clone(), l);
                        }
                        Some(t)
                    }
                    Err(p) => {
                        problems.push(format!("{at}: {p}"));
                        None
                    }
                }
            };
            let category = text(rt.category, "category");
            let retention = text(rt.retention, "retention");
            let source = text(rt.source, "source");
            let purposes: Vec<String> = rt
                .purposes
                .into_iter()
                .enumerate()
                .filter_map(|(i, v)| text(Some(v), &format!("purposes[{i}]")))
                .collect();
            let columns: BTreeMap<String, String> = rt
                .columns
                .into_iter()
                .filter_map(|(c, v)| {
                    let t = text(Some(v), &format!("columns.{c}"))?;
                    Some((c, t))
                })
                .collect();
            let mut recipients = Vec::new();
            for (i, v) in rt.recipients.into_iter().enumerate() {
                match parse_recipient(v, i) {
                    Ok(r) => recipients.push(r),
                    Err(p) => problems.push(format!("{at}: {p}")),
                }
            }
            tables.push(TableMap {
                name: tname,
                primary_key: rt.primary_key.unwrap_or_default(),
                identity,
                exclude: rt.exclude,
                category,
                columns,
                purposes,
                retention,
                source,
                recipients,
                follows,
                on_erasure,
                keep_reason: rt.keep_reason,
                restriction,
                rectifiable: rt.rectifiable,
            });
        }
        systems.push(SystemMap {
            name,
            url: rs.url.unwrap_or_default(),
            description: rs.description.unwrap_or_default(),
            tables,
        });
    }
    if problems.is_empty() {
        Ok(DataMap {
            tenant,
            file: file.to_owned(),
            systems,
            labels,
        })
    } else {
        Err(DataMapError::new(problems.join("\n")))
    }
}
