//! The bundle compiled from real tenant databases — SQLite, PostgreSQL and MariaDB — with the
//! fixture's several subjects: exactly Anna's rows, JSON and CSV agreeing value for value,
//! the manifest's counts and hashes right, types surviving into the CSV, excluded columns
//! nowhere in the zip.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use chrono::Utc;
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::tenant_dbs::{
    ANNA_NAME, ANNA_NOTE, ANNA_PASSWORD_HASH, ANNA_PHONE, PEOPLE_COLUMNS, TenantBackend, anna,
    anna_expected, tenant_fixture,
};
use inzage::bundle::{BundleMeta, compile};
use inzage::domain::RequestKind;
use inzage::tenant_data::ExportOptions;

crate::on_tenant_backends!(the_bundle_holds_exactly_the_subjects_rows_in_both_formats);

fn entries(zip: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap();
            (f.name().unwrap().to_string(), out)
        })
        .collect()
}

/// A JSON value as its CSV field: strings unquoted, NULL empty, the rest as written.
fn as_field(raw: &RawValue) -> String {
    match serde_json::from_str::<Value>(raw.get()).unwrap() {
        // text a spreadsheet would run as a formula gets a leading `'` (OWASP)
        Value::String(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        Value::String(s) => s,
        Value::Null => String::new(),
        _ => raw.get().to_owned(),
    }
}

fn the_bundle_holds_exactly_the_subjects_rows_in_both_formats(b: TenantBackend) {
    let Some(f) = tenant_fixture(b, "bundle_backends") else {
        return;
    };
    let meta = BundleMeta {
        reference: "DSR-2026-000042".into(),
        kind: RequestKind::Portability,
        received_at: Utc::now(),
        controller_slug: "fixture".into(),
        controller_name: "Fixture BV".into(),
        controller_email: "privacy@fixture.example".into(),
        processor: "inzage".into(),
        generated_at: Utc::now(),
    };
    let spool = tempfile::tempdir().unwrap();
    // a small page size: several pages per table
    let options = ExportOptions {
        page_size: 3,
        ..ExportOptions::default()
    };
    let (summary, zip) = compile(
        &f.map,
        &meta,
        &anna(),
        &options,
        spool.path(),
        Vec::new(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(summary.size_bytes, zip.len() as u64);
    let files = entries(&zip);
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let system = &f.map.systems[0];

    let expected = anna_expected();
    let mut total = 0;
    for (table, keys) in &expected {
        let pk = &system.table(table).unwrap().primary_key;
        let json = &files[&format!("data/app/{table}.json")];
        let rows: Vec<HashMap<String, Box<RawValue>>> = serde_json::from_slice(json).unwrap();
        let got: Vec<&str> = rows.iter().map(|r| r[pk].get()).collect();
        assert_eq!(
            got, *keys,
            "{b:?}: exactly Anna's rows of {table}, in key order"
        );
        total += rows.len();

        // the CSV holds the same rows, value for value
        let csv = &files[&format!("data/app/{table}.csv")];
        let mut reader = csv::Reader::from_reader(csv.as_slice());
        let headers = reader.headers().unwrap().clone();
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), rows.len(), "{table}");
        for (record, row) in records.iter().zip(&rows) {
            assert_eq!(record.len(), row.len());
            for (name, field) in headers.iter().zip(record) {
                assert_eq!(field, as_field(&row[name]), "{b:?} {table}.{name}");
            }
        }

        // the manifest counts it
        let listed = manifest["systems"][0]["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == *table)
            .unwrap();
        assert_eq!(listed["rows"], keys.len() as u64, "{table}");
    }
    assert_eq!(manifest["totals"]["rows"], total as u64);
    assert_eq!(summary.rows, total as u64);

    // every file's hash and size is right
    for file in manifest["files"].as_array().unwrap() {
        let bytes = &files[file["path"].as_str().unwrap()];
        assert_eq!(file["bytes"], bytes.len() as u64);
        assert_eq!(file["sha256"], hex::encode(Sha256::digest(bytes)));
    }

    // types survive into the CSV; the header is the table's exported columns in order
    let csv = &files["data/app/people.csv"];
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        PEOPLE_COLUMNS
    );
    let anna_row = reader.records().next().unwrap().unwrap();
    let field = |c: &str| {
        let i = PEOPLE_COLUMNS.iter().position(|x| *x == c).unwrap();
        anna_row[i].to_owned()
    };
    assert_eq!(field("balance"), "12.50");
    assert_eq!(field("credit"), "0.10");
    assert_eq!(field("big"), "9007199254740993");
    assert_eq!(field("is_active"), "true");
    assert_eq!(field("nickname"), "");
    assert_eq!(field("name"), ANNA_NAME);
    assert_eq!(field("note"), ANNA_NOTE);
    assert_eq!(
        field("phone"),
        format!("'{ANNA_PHONE}"),
        "neutralised in the CSV"
    );

    // an excluded column is nowhere in the zip: not its name in the data, not its value
    for (name, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(ANNA_PASSWORD_HASH),
            "{name} leaks the excluded value"
        );
        if name.starts_with("data/") {
            assert!(
                !text.contains("password_hash"),
                "{name} names the excluded column"
            );
        }
    }
}
