//! Subject export from real tenant databases (SQLite, PostgreSQL, MariaDB): exactly the
//! subject's rows, types that survive, exclusions, keyset pages, read-only connections,
//! failures that name the system and table, and `datamap check --connect`.

use std::process::Command;

use inzage::tenant_data::connector::TenantConnection;
use inzage::tenant_data::{
    DataMap, ExportOptions, RowSink, SubjectIdentities, SystemMap, TableMap, TenantDataError,
    check_connect, export_subject, export_subject_with,
};
use serde_json::value::RawValue;

use crate::tenant_dbs::{
    ANNA_NAME, ANNA_NOTE, ANNA_PASSWORD_HASH, ANNA_PHONE, PEOPLE_COLUMNS, TenantBackend, anna,
    anna_expected, fixture_map_toml, tenant_fixture,
};

crate::on_tenant_backends!(
    exports_exactly_the_subjects_rows_on_every_page_size,
    phone_and_customer_id_reach_their_tables,
    types_survive,
    excluded_columns_never_appear,
    the_connection_is_read_only,
    a_database_that_is_down_is_a_connect_error,
    a_missing_table_is_a_query_error_naming_system_and_table,
    datamap_check_connect_finds_missing_tables_and_columns,
    wide_tables_keep_every_column_in_order,
    a_key_that_is_not_unique_or_null_stops_the_export,
);

/// One table as the sink saw it.
#[derive(Debug)]
struct Table {
    system: String,
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    ended_with: Option<u64>,
}

/// Collects every row (values as the raw JSON text the database wrote).
#[derive(Debug, Default)]
struct Collect {
    tables: Vec<Table>,
}

impl RowSink for Collect {
    fn begin_table(
        &mut self,
        system: &SystemMap,
        table: &TableMap,
        columns: &[String],
    ) -> std::io::Result<()> {
        assert!(
            self.tables.last().is_none_or(|t| t.ended_with.is_some()),
            "begin_table before the previous end_table"
        );
        self.tables.push(Table {
            system: system.name.clone(),
            name: table.name.clone(),
            columns: columns.to_vec(),
            rows: Vec::new(),
            ended_with: None,
        });
        Ok(())
    }

    fn row(&mut self, values: &[&RawValue]) -> std::io::Result<()> {
        let t = self.tables.last_mut().expect("row inside a table");
        assert_eq!(values.len(), t.columns.len(), "one value per column");
        t.rows
            .push(values.iter().map(|v| v.get().to_owned()).collect());
        Ok(())
    }

    fn end_table(&mut self, rows: u64) -> std::io::Result<()> {
        let t = self.tables.last_mut().expect("end inside a table");
        assert_eq!(rows, t.rows.len() as u64, "end_table counts the rows");
        t.ended_with = Some(rows);
        Ok(())
    }
}

impl Collect {
    fn table(&self, name: &str) -> &Table {
        self.tables.iter().find(|t| t.name == name).expect(name)
    }

    /// Each table's key values (the primary key's JSON text), in the order they came.
    fn keys(&self, map: &DataMap) -> Vec<(String, Vec<String>)> {
        self.tables
            .iter()
            .map(|t| {
                let pk = &map
                    .system(&t.system)
                    .unwrap()
                    .table(&t.name)
                    .unwrap()
                    .primary_key;
                let i = t
                    .columns
                    .iter()
                    .position(|c| c == pk)
                    .expect("key exported");
                (
                    t.name.clone(),
                    t.rows.iter().map(|r| r[i].clone()).collect(),
                )
            })
            .collect()
    }

    /// A value of the only row of `table`, parsed.
    fn value(&self, table: &str, row: usize, column: &str) -> (String, serde_json::Value) {
        let t = self.table(table);
        let i = t.columns.iter().position(|c| c == column).expect(column);
        let raw = t.rows[row][i].clone();
        let parsed = serde_json::from_str(&raw).unwrap();
        (raw, parsed)
    }
}

fn export(map: &DataMap, subject: &SubjectIdentities, page_size: usize) -> Collect {
    let mut sink = Collect::default();
    let options = ExportOptions {
        page_size,
        ..Default::default()
    };
    let summary = export_subject_with(map, subject, &mut sink, &options).expect("export");
    assert_eq!(summary.tables, map.table_count());
    assert_eq!(
        summary.rows,
        sink.tables.iter().map(|t| t.rows.len() as u64).sum::<u64>()
    );
    sink
}

fn as_str(v: &[(&str, Vec<String>)]) -> Vec<(String, Vec<String>)> {
    v.iter().map(|(t, k)| (t.to_string(), k.clone())).collect()
}

fn exports_exactly_the_subjects_rows_on_every_page_size(b: TenantBackend) {
    let Some(f) = tenant_fixture(b, "exports_exactly_the_subjects_rows") else {
        return;
    };
    let expected = as_str(&anna_expected());
    assert!(
        expected
            .iter()
            .any(|(t, k)| t == "order_lines" && k.len() > 30),
        "the fixture spans several pages"
    );
    // 1 and 2: every row its own page; 7: pages that end mid-table; 5000: one page.
    for page_size in [1, 2, 7, 5000] {
        let got = export(&f.map, &anna(), page_size);
        // Every table of the map, in map order, each begun and ended (calls: zero rows).
        let names: Vec<&str> = got.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "people",
                "memberships",
                "teams",
                "orders",
                "order_lines",
                "subscriptions",
                "calls"
            ]
        );
        assert!(got.tables.iter().all(|t| t.ended_with.is_some()));
        // Exactly Anna's rows, in key order: not anna@example.nl.evil, not hanna@…, not the
        // other members of the team she shares, not xanna@ or anna@example.n.
        assert_eq!(got.keys(&f.map), expected, "page size {page_size}");
    }
    // The default page size gives the same.
    let mut sink = Collect::default();
    export_subject(&f.map, &anna(), &mut sink).unwrap();
    assert_eq!(sink.keys(&f.map), expected);

    // Another subject: Hanna shares team 1 with Anna, and gets none of Anna's rows.
    let hanna = SubjectIdentities {
        emails: vec!["HANNA@example.nl".into()],
        ..Default::default()
    };
    let got = export(&f.map, &hanna, 3);
    let keys = got.keys(&f.map);
    assert_eq!(keys[0], ("people".into(), vec!["3".into()]));
    assert_eq!(
        keys[1],
        ("memberships".into(), vec!["2".into(), "4".into()])
    );
    assert_eq!(keys[2], ("teams".into(), vec!["1".into(), "3".into()]));
    assert!(keys[3].1.iter().all(|k| !expected[3].1.contains(k)));
    assert_eq!(keys[5], ("subscriptions".into(), vec!["2".into()]));

    // A subject nobody has: every table, zero rows.
    let nobody = SubjectIdentities {
        emails: vec!["nobody@example.nl".into()],
        ..Default::default()
    };
    let got = export(&f.map, &nobody, 10);
    assert_eq!(got.tables.len(), 7);
    assert!(got.tables.iter().all(|t| t.rows.is_empty()));
    // No identities at all (empty strings are not identities): nothing matches.
    let blank = SubjectIdentities {
        emails: vec!["  ".into()],
        phones: vec![String::new()],
        customer_ids: vec![],
    };
    assert!(
        export(&f.map, &blank, 10)
            .tables
            .iter()
            .all(|t| t.rows.is_empty())
    );
}

fn phone_and_customer_id_reach_their_tables(b: TenantBackend) {
    let Some(f) = tenant_fixture(b, "phone_and_customer_id") else {
        return;
    };
    // Only a phone (with stray spaces): Anna's person row, her calls (stored with spaces at
    // either end), and everything that follows from her person row.
    let by_phone = SubjectIdentities {
        phones: vec![format!(" {ANNA_PHONE}  ")],
        ..Default::default()
    };
    let got = export(&f.map, &by_phone, 4);
    let keys = got.keys(&f.map);
    let expected = as_str(&anna_expected());
    assert_eq!(keys[0], expected[0]);
    assert_eq!(keys[4], expected[4]); // order lines, two follows away
    assert_eq!(keys[5], ("subscriptions".into(), vec![])); // e-mail only
    assert_eq!(keys[6], ("calls".into(), vec!["1".into(), "3".into()]));

    // Only a customer id.
    let by_customer = SubjectIdentities {
        customer_ids: vec!["C-001".into()],
        ..Default::default()
    };
    let keys = export(&f.map, &by_customer, 1000).keys(&f.map);
    assert_eq!(keys[0], expected[0]);
    assert_eq!(keys[3], expected[3]);
    assert!(keys[6].1.is_empty());

    // Several values of several kinds: the union, each row once.
    let both = SubjectIdentities {
        emails: vec!["anna@example.nl".into(), "bob@example.nl".into()],
        phones: vec![ANNA_PHONE.into()],
        customer_ids: vec!["C-001".into()],
    };
    let keys = export(&f.map, &both, 5).keys(&f.map);
    assert_eq!(keys[0].1, vec!["1", "4"]);
    assert_eq!(keys[6].1, vec!["1", "3"]);
    let mut teams = keys[2].1.clone();
    teams.dedup();
    assert_eq!(teams, keys[2].1, "each row once");
}

fn types_survive(b: TenantBackend) {
    let Some(f) = tenant_fixture(b, "types_survive") else {
        return;
    };
    let got = export(&f.map, &anna(), 100);
    let people = got.table("people");
    assert_eq!(people.columns, PEOPLE_COLUMNS);
    let v = |c: &str| got.value("people", 0, c);

    assert_eq!(v("id").0, "1");
    // Beyond 2^53: an integer only survives if it never went through a float.
    assert_eq!(v("big").0, "9007199254740993");
    // Decimals keep their digits (SQLite keeps them as REAL; the declared scale restores them).
    assert_eq!(v("balance").0, "12.50");
    assert_eq!(v("credit").0, "0.10");
    assert_eq!(v("is_active").0, "true");
    assert_eq!(v("born").0, "\"1990-05-17\"");
    assert_eq!(v("created_at").0, "\"2024-03-01T09:30:00\"");
    assert_eq!(v("nickname").0, "null");
    assert_eq!(v("avatar").0, "\"00ff10\"");
    assert_eq!(v("name").1, ANNA_NAME);
    assert_eq!(v("note").1, ANNA_NOTE);
    assert_eq!(
        v("email").1,
        " Anna@Example.NL ",
        "values are not normalised"
    );

    // Other rows: false, decimals of the orders, text keys as strings.
    let everyone = SubjectIdentities {
        emails: vec!["anna@example.nl.evil".into()],
        ..Default::default()
    };
    let other = export(&f.map, &everyone, 100);
    assert_eq!(other.value("people", 0, "is_active").0, "false");
    let (code, _) = got.value("orders", 0, "code");
    assert_eq!(code, "\"ORD-0001\"");
    assert_eq!(got.value("orders", 0, "total").0, "1.95");
    assert_eq!(
        got.value("orders", 0, "placed_at").0,
        "\"2024-04-02T12:00:00\""
    );
    assert_eq!(got.value("order_lines", 0, "price").0, "4.05");
    assert_eq!(got.value("order_lines", 0, "qty").0, "1");
}

fn excluded_columns_never_appear(b: TenantBackend) {
    let Some(f) = tenant_fixture(b, "excluded_columns_never_appear") else {
        return;
    };
    let got = export(&f.map, &anna(), 3);
    let people = got.table("people");
    assert!(!people.columns.iter().any(|c| c == "password_hash"));
    let everything = format!("{:?}", got.tables);
    assert!(!everything.contains(ANNA_PASSWORD_HASH));
    assert!(!everything.contains("secret-hash"));

    // Written with other capitals it is still the same column on MySQL and SQLite (which
    // compare column names case-insensitively); on PostgreSQL a quoted name that matches no
    // column stops the export rather than let the column through.
    let text = fixture_map_toml(&[("app", &f.db.url)]).replace(
        "exclude = [\"password_hash\"]",
        "exclude = [\"Password_Hash\"]",
    );
    let map = DataMap::parse(&text, "exports/acme.toml").unwrap();
    let mut sink = Collect::default();
    match (b, export_subject(&map, &anna(), &mut sink)) {
        (
            TenantBackend::Postgres,
            Err(TenantDataError::Query {
                system,
                table,
                message,
            }),
        ) => {
            assert_eq!((system.as_str(), table.as_str()), ("app", "people"));
            assert!(message.contains("Password_Hash"), "{message}");
        }
        (TenantBackend::Postgres, other) => panic!("expected a query error, got {other:?}"),
        (_, result) => {
            result.unwrap();
            assert!(!format!("{:?}", sink.tables).contains("secret-hash"));
        }
    }
}

fn the_connection_is_read_only(b: TenantBackend) {
    let Some(f) = tenant_fixture(b, "the_connection_is_read_only") else {
        return;
    };
    let mut conn = TenantConnection::open(&f.db.url).unwrap();
    conn.begin_snapshot().unwrap();
    for write in [
        "DELETE FROM people",
        "UPDATE people SET name = 'x'",
        "CREATE TABLE intruder (id INTEGER)",
    ] {
        assert!(
            conn.page(write, &[]).is_err(),
            "{write} must fail on a tenant connection"
        );
        // After an error PostgreSQL aborts the transaction; start a new snapshot.
        let _ = conn.end_snapshot();
        conn.begin_snapshot().unwrap();
    }
    conn.end_snapshot().unwrap();
    // Outside the snapshot the session is read-only as well.
    for write in ["DELETE FROM people", "CREATE TABLE intruder (id INTEGER)"] {
        assert!(
            conn.page(write, &[]).is_err(),
            "{write} must fail outside a snapshot"
        );
    }
    drop(conn);
    // Nothing changed.
    let got = export(&f.map, &anna(), 100);
    assert_eq!(got.value("people", 0, "name").1, ANNA_NAME);
}

fn down_map(url: &str) -> DataMap {
    let text = fixture_map_toml(&[("app", url)]);
    DataMap::parse(&text, "exports/acme.toml").unwrap()
}

fn a_database_that_is_down_is_a_connect_error(b: TenantBackend) {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::helpers::free_port();
    let url = match b {
        TenantBackend::Sqlite => format!("sqlite://{}", dir.path().join("missing.db").display()),
        TenantBackend::Postgres => format!("postgres://inzage:s3cret@127.0.0.1:{port}/tenant"),
        TenantBackend::Mariadb => format!("mysql://inzage:s3cret@127.0.0.1:{port}/tenant"),
    };
    let map = down_map(&url);
    let mut sink = Collect::default();
    match export_subject(&map, &anna(), &mut sink) {
        Err(TenantDataError::Connect { system, message }) => {
            assert_eq!(system, "app");
            assert!(!message.contains("s3cret"), "{message}");
            assert!(!message.to_string().contains(&url), "{message}");
            let shown = TenantDataError::Connect { system, message }.to_string();
            assert!(shown.starts_with("system app: cannot connect: "), "{shown}");
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert!(sink.tables.is_empty(), "nothing was written to the sink");
    // SQLite: opening read-only never creates the file.
    if b == TenantBackend::Sqlite {
        assert!(!dir.path().join("missing.db").exists());
    }
    // An env: URL whose variable is not set is a connection failure of that system too.
    let map = down_map("env:INZAGE_TEST_UNSET_TENANT_DB");
    match export_subject(&map, &anna(), &mut Collect::default()) {
        Err(TenantDataError::Connect { system, message }) => {
            assert_eq!(system, "app");
            assert!(message.contains("INZAGE_TEST_UNSET_TENANT_DB"), "{message}");
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
    // ... and ExportOptions::vars can supply it.
    if let Some(f) = tenant_fixture(b, "env_vars") {
        let options = ExportOptions {
            vars: [("INZAGE_TEST_UNSET_TENANT_DB".to_owned(), f.db.url.clone())].into(),
            ..Default::default()
        };
        let mut sink = Collect::default();
        export_subject_with(&map, &anna(), &mut sink, &options).unwrap();
        assert_eq!(sink.table("people").rows.len(), 1);
    }
}

fn a_missing_table_is_a_query_error_naming_system_and_table(b: TenantBackend) {
    let Some(f) = tenant_fixture(b, "a_missing_table_is_a_query_error") else {
        return;
    };
    let text = format!(
        "{}\n[[systems.tables]]\nname = \"ghosts\"\nprimary_key = \"id\"\nidentity = {{ email = \"email\" }}\n",
        fixture_map_toml(&[("app", &f.db.url)])
    );
    let map = DataMap::parse(&text, "exports/acme.toml").unwrap();
    let mut sink = Collect::default();
    match export_subject(&map, &anna(), &mut sink) {
        Err(TenantDataError::Query {
            system,
            table,
            message,
        }) => {
            assert_eq!((system.as_str(), table.as_str()), ("app", "ghosts"));
            assert!(!message.contains("anna@"), "{message}");
        }
        other => panic!("expected a query error, got {other:?}"),
    }
    // The tables before it were exported; the sink saw no half table of ghosts.
    assert_eq!(sink.tables.len(), 7);

    // A column the map names that the table lacks: a query error too, naming the column.
    let text = fixture_map_toml(&[("app", &f.db.url)]).replace(
        "references = \"code\"",
        "references = \"code\" }, { column = \"gone\", table = \"orders\", references = \"code\"",
    );
    let map = DataMap::parse(&text, "exports/acme.toml").unwrap();
    match export_subject(&map, &anna(), &mut Collect::default()) {
        Err(TenantDataError::Query { table, message, .. }) => {
            assert_eq!(table, "order_lines");
            assert!(message.contains("column gone"), "{message}");
        }
        other => panic!("expected a query error, got {other:?}"),
    }

    // A follows whose referenced column is missing: the database refuses the query.
    let text = fixture_map_toml(&[("app", &f.db.url)]).replace(
        "references = \"team_id\"",
        "references = \"no_such_column\"",
    );
    let map = DataMap::parse(&text, "exports/acme.toml").unwrap();
    match export_subject(&map, &anna(), &mut Collect::default()) {
        Err(TenantDataError::Query {
            system,
            table,
            message,
        }) => {
            assert_eq!((system.as_str(), table.as_str()), ("app", "teams"));
            assert!(!message.contains("anna@"), "{message}");
        }
        other => panic!("expected a query error, got {other:?}"),
    }
}

fn inzage(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_inzage"))
        .args(args)
        .env_remove("INZAGE_DATABASE_URL")
        .output()
        .expect("run inzage");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn datamap_check_connect_finds_missing_tables_and_columns(b: TenantBackend) {
    let Some(f) = tenant_fixture(b, "datamap_check_connect") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("acme.toml");
    let file_s = file.to_str().unwrap();

    let good = fixture_map_toml(&[("app", &f.db.url)]);
    std::fs::write(&file, &good).unwrap();
    let (code, out, err) = inzage(&["datamap", "check", file_s, "--connect"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), format!("{file_s}: ok (1 system, 7 tables)"));
    let (report_ok, report) = {
        let map = DataMap::load(&file).unwrap();
        let r = check_connect(&map, &ExportOptions::default());
        (r.problems.is_empty() && r.unreachable.is_empty(), r)
    };
    assert!(report_ok, "{report:?}");

    // A column typo, a missing table, a references typo and a category for a column that
    // does not exist: all listed, exit 2.
    let bad = good
        .replace(
            "identity = { email = \"email\" }",
            "identity = { email = \"emial\" }",
        )
        .replace("name = \"calls\"", "name = \"cals\"")
        .replace("references = \"team_id\"", "references = \"teamid\"")
        .replace(
            "credit = \"Financial data\"",
            "credit = \"Financial data\", creditt = \"x\"",
        )
        .replace(
            "recipients = [\"Payment provider\"]",
            "recipients = [\"Payment provider\"]\n\
             restriction = { column = \"restricted\", value = true }\n\
             rectifiable = [\"nmae\"]\n\
             on_erasure = { mask = { emial = \"hash\" } }",
        );
    std::fs::write(&file, &bad).unwrap();
    let (code, _, err) = inzage(&["datamap", "check", file_s, "--connect"]);
    assert_eq!(code, 2, "{err}");
    for expected in [
        "system app, table subscriptions: identity.email: column emial does not exist",
        "system app, table cals: the table does not exist",
        "system app, table teams: follows[0].references: column teamid does not exist in table memberships",
        "system app, table people: columns.creditt: column creditt does not exist",
        "system app, table people: restriction.column: column restricted does not exist",
        "system app, table people: rectifiable[0]: column nmae does not exist",
        "system app, table people: on_erasure.mask.emial: column emial does not exist",
    ] {
        assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    }
    // Without --connect the same file is a valid map.
    let (code, out, err) = inzage(&["datamap", "check", file_s]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(": ok (1 system, 7 tables)"), "{out}");

    // A system that cannot be reached: exit 1, no URL in the output.
    let port = crate::helpers::free_port();
    let down = match b {
        TenantBackend::Sqlite => format!("sqlite://{}", dir.path().join("nope.db").display()),
        TenantBackend::Postgres => format!("postgres://u:s3cret@127.0.0.1:{port}/x"),
        TenantBackend::Mariadb => format!("mysql://u:s3cret@127.0.0.1:{port}/x"),
    };
    std::fs::write(&file, fixture_map_toml(&[("app", &down)])).unwrap();
    let (code, _, err) = inzage(&["datamap", "check", file_s, "--connect"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("system app: cannot connect"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");

    // An invalid map: exit 2 before connecting.
    std::fs::write(
        &file,
        good.replace("table = \"people\"", "table = \"peple\""),
    )
    .unwrap();
    let (code, _, err) = inzage(&["datamap", "check", file_s, "--connect"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("follows[0].table \"peple\" is not a table of system app"),
        "{err}"
    );
}

/// The same subject from three systems at once, one per backend, in map order.
#[test]
fn one_map_over_three_backends() {
    let (Some(lite), Some(pg), Some(maria)) = (
        tenant_fixture(TenantBackend::Sqlite, "one_map_over_three_backends"),
        tenant_fixture(TenantBackend::Postgres, "one_map_over_three_backends"),
        tenant_fixture(TenantBackend::Mariadb, "one_map_over_three_backends"),
    ) else {
        return;
    };
    let map =
        crate::tenant_dbs::fixture_map(&[("lite", &lite.db), ("pg", &pg.db), ("maria", &maria.db)]);
    let got = export(&map, &anna(), 6);
    assert_eq!(got.tables.len(), 21);
    let systems: Vec<&str> = got.tables.iter().map(|t| t.system.as_str()).collect();
    assert_eq!(&systems[..7], ["lite"; 7]);
    assert_eq!(&systems[14..], ["maria"; 7]);
    // The same values whichever database holds them (compared parsed: escaping may differ).
    let parsed = |t: &Table| -> Vec<Vec<serde_json::Value>> {
        t.rows
            .iter()
            .map(|r| r.iter().map(|v| serde_json::from_str(v).unwrap()).collect())
            .collect()
    };
    for i in 0..7 {
        let name = &got.tables[i].name;
        assert_eq!(parsed(&got.tables[i]), parsed(&got.tables[i + 7]), "{name}");
        assert_eq!(
            parsed(&got.tables[i]),
            parsed(&got.tables[i + 14]),
            "{name}"
        );
    }
}

/// PostgreSQL's JSON functions take at most 100 arguments and SQLite's 127: a 250-column
/// table is rendered in chunks and comes out whole and in order.
fn wide_tables_keep_every_column_in_order(b: TenantBackend) {
    let Some(f) = tenant_fixture(b, "wide_tables") else {
        return;
    };
    // TEXT: MariaDB cannot hold 248 VARCHAR columns in one row.
    let text_type = "TEXT";
    let int_type = if b == TenantBackend::Sqlite {
        "INTEGER"
    } else {
        "BIGINT"
    };
    let cols: Vec<String> = (1..=248).map(|i| format!("c{i} {text_type}")).collect();
    let values: Vec<String> = (1..=248).map(|i| format!("'v{i}'")).collect();
    f.db.execute(&format!(
        "CREATE TABLE wide (id {int_type} PRIMARY KEY, email {text_type}, {});\n\
         INSERT INTO wide VALUES (1, 'anna@example.nl', {});\n\
         INSERT INTO wide VALUES (2, 'hanna@example.nl', {});",
        cols.join(", "),
        values.join(", "),
        values.join(", ")
    ));
    let text = format!(
        "{}\n[[systems.tables]]\nname = \"wide\"\nprimary_key = \"id\"\nidentity = {{ email = \"email\" }}\n",
        fixture_map_toml(&[("app", &f.db.url)])
    );
    let map = DataMap::parse(&text, "exports/acme.toml").unwrap();
    let got = export(&map, &anna(), 10);
    let wide = got.table("wide");
    assert_eq!(wide.columns.len(), 250);
    assert_eq!(wide.columns[249], "c248");
    assert_eq!(wide.rows.len(), 1);
    assert_eq!(wide.rows[0][0], "1");
    assert_eq!(wide.rows[0][1], "\"anna@example.nl\"");
    for i in 1..=248 {
        assert_eq!(wide.rows[0][i + 1], format!("\"v{i}\""));
    }
}

/// Keyset paging skips rows whose key repeats; rather than lose them, the export stops.
fn a_key_that_is_not_unique_or_null_stops_the_export(b: TenantBackend) {
    let Some(f) = tenant_fixture(b, "a_key_that_is_not_unique") else {
        return;
    };
    let base = fixture_map_toml(&[("app", &f.db.url)]);
    // Anna's orders all have person_id 1: duplicates inside one page and across pages.
    let not_unique = base.replace("primary_key = \"code\"", "primary_key = \"person_id\"");
    let map = DataMap::parse(&not_unique, "exports/acme.toml").unwrap();
    for page_size in [2, 3, 1000] {
        let options = ExportOptions {
            page_size,
            ..Default::default()
        };
        match export_subject_with(&map, &anna(), &mut Collect::default(), &options) {
            Err(TenantDataError::Query { table, message, .. }) => {
                assert_eq!(table, "orders");
                assert!(message.contains("duplicate"), "{message}");
            }
            other => panic!("expected a query error at page size {page_size}, got {other:?}"),
        }
    }
    // A key column with NULLs (Anna's nickname is NULL).
    let null_key = base.replacen("primary_key = \"id\"", "primary_key = \"nickname\"", 1);
    let map = DataMap::parse(&null_key, "exports/acme.toml").unwrap();
    match export_subject(&map, &anna(), &mut Collect::default()) {
        Err(TenantDataError::Query { table, message, .. }) => {
            assert_eq!(table, "people");
            assert!(message.contains("NULL"), "{message}");
        }
        other => panic!("expected a query error, got {other:?}"),
    }
}

/// A MySQL URL that asks for TLS gets TLS or no connection, never a silent plain one: on a
/// server without TLS `ssl_mode=required` is a connection error (without the password), on
/// one with TLS the session is encrypted.
#[test]
fn mariadb_tls_asked_for_is_never_downgraded() {
    let Some(f) = tenant_fixture(TenantBackend::Mariadb, "mariadb_tls_asked_for") else {
        return;
    };
    let server_tls = {
        use mysql::prelude::Queryable;
        let mut c = crate::tenant_dbs::mysql_connect(&f.db.url).unwrap();
        let have: Option<(String, String)> =
            c.query_first("SHOW VARIABLES LIKE 'have_ssl'").unwrap();
        have.is_some_and(|(_, v)| v == "YES")
    };
    let url = format!("{}?ssl_mode=required", f.db.url);
    match TenantConnection::open(&url) {
        Ok(mut conn) => {
            assert!(
                server_tls,
                "a plain connection was made where TLS was required"
            );
            let rows = conn
                .page("SHOW SESSION STATUS LIKE 'Ssl_cipher'", &[])
                .unwrap();
            assert!(
                rows[0].r.as_deref().is_some_and(|c| !c.is_empty()),
                "{rows:?}"
            );
        }
        Err(message) => {
            assert!(!server_tls, "TLS failed on a server that has it: {message}");
            assert!(!message.to_string().contains(&url), "{message}");
        }
    }
    // The plain URL still reads (the fixture's own URL has no ssl_mode).
    let got = export(&f.map, &anna(), 100);
    assert!(!got.tables.is_empty());
}
