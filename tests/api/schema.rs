//! The SQLite and PostgreSQL migrations yield the same tables and columns: each store is
//! migrated fresh and its catalog read back; names and nullability must agree, and each pair
//! of column types must be one of the known pairs below.

use std::collections::BTreeMap;

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::helpers::{Backend, fresh_store};

/// The declared SQLite type and the PostgreSQL type that stand for the same thing. Every
/// other pair is a difference between the migrations.
const SAME_TYPE: &[(&str, &str)] = &[
    ("TEXT", "text"),
    ("BOOLEAN", "boolean"),
    ("DATE", "date"),
    ("TIMESTAMP", "timestamp without time zone"),
    ("BIGINT", "bigint"),
    ("INTEGER", "integer"),
    // SQLite's INTEGER is 64 bits: an `INTEGER PRIMARY KEY` row id is PostgreSQL's BIGSERIAL.
    ("INTEGER", "bigint"),
    ("BLOB", "bytea"),
];

/// Migration bookkeeping, not the application's tables.
const NOT_APPLICATION: &[&str] = &["__diesel_schema_migrations"];

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    type_name: String,
    nullable: bool,
}

type Catalog = BTreeMap<String, BTreeMap<String, Column>>;

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    type_name: String,
    #[diesel(sql_type = BigInt)]
    notnull: i64,
    #[diesel(sql_type = BigInt)]
    pk: i64,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

fn sqlite_catalog(url: &str) -> Catalog {
    let path = url.trim_start_matches("sqlite://");
    let mut conn = SqliteConnection::establish(path).unwrap();
    let rows: Vec<SqliteColumn> = diesel::sql_query(
        "SELECT m.name AS table_name, c.name AS name, upper(c.type) AS type_name, \
         c.\"notnull\" AS \"notnull\", c.pk AS pk \
         FROM sqlite_master m JOIN pragma_table_info(m.name) c \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .load(&mut conn)
    .unwrap();
    let mut catalog = Catalog::new();
    for r in rows {
        catalog.entry(r.table_name).or_default().insert(
            r.name,
            Column {
                type_name: r.type_name,
                // A primary key column is NOT NULL on PostgreSQL whether or not it says so;
                // SQLite's catalog only shows what the column declared.
                nullable: r.notnull == 0 && r.pk == 0,
            },
        );
    }
    catalog
}

fn pg_catalog(url: &str) -> Catalog {
    let mut conn = PgConnection::establish(url).unwrap();
    let rows: Vec<PgColumn> = diesel::sql_query(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
         c.data_type::text AS data_type, c.is_nullable::text AS is_nullable \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
    )
    .load(&mut conn)
    .unwrap();
    let mut catalog = Catalog::new();
    for r in rows {
        catalog.entry(r.table_name).or_default().insert(
            r.column_name,
            Column {
                type_name: r.data_type,
                nullable: r.is_nullable == "YES",
            },
        );
    }
    catalog
}

fn migrated(backend: Backend) -> Option<crate::helpers::Store> {
    let store = fresh_store(backend, "migrations_agree")?;
    let db = inzage::store::Db::connect(&store.url, 2).unwrap();
    db.migrate().unwrap();
    Some(store)
}

#[test]
fn sqlite_and_postgres_migrations_yield_the_same_tables_and_columns() {
    let Some(pg) = migrated(Backend::Postgres) else {
        return;
    };
    let lite = migrated(Backend::Sqlite).unwrap();
    let mut lite_cat = sqlite_catalog(&lite.url);
    let mut pg_cat = pg_catalog(&pg.url);
    for t in NOT_APPLICATION {
        lite_cat.remove(*t);
        pg_cat.remove(*t);
    }
    assert!(lite_cat.contains_key("requests"), "{:?}", lite_cat.keys());

    let mut problems = Vec::new();
    for table in lite_cat.keys().filter(|t| !pg_cat.contains_key(*t)) {
        problems.push(format!("table {table} only on SQLite"));
    }
    for table in pg_cat.keys().filter(|t| !lite_cat.contains_key(*t)) {
        problems.push(format!("table {table} only on PostgreSQL"));
    }
    for (table, lite_cols) in &lite_cat {
        let Some(pg_cols) = pg_cat.get(table) else {
            continue;
        };
        for (name, l) in lite_cols {
            let Some(p) = pg_cols.get(name) else {
                problems.push(format!("{table}.{name} only on SQLite"));
                continue;
            };
            if l.nullable != p.nullable {
                problems.push(format!(
                    "{table}.{name}: nullable {} on SQLite, {} on PostgreSQL",
                    l.nullable, p.nullable
                ));
            }
            if !SAME_TYPE.contains(&(l.type_name.as_str(), p.type_name.as_str())) {
                problems.push(format!(
                    "{table}.{name}: {} on SQLite, {} on PostgreSQL",
                    l.type_name, p.type_name
                ));
            }
        }
        for name in pg_cols.keys().filter(|n| !lite_cols.contains_key(*n)) {
            problems.push(format!("{table}.{name} only on PostgreSQL"));
        }
    }
    assert!(
        problems.is_empty(),
        "the migrations differ:\n{}",
        problems.join("\n")
    );
}
