//! The bundle's zip, written while rows stream in: [`BundleWriter`] is the [`RowSink`] the
//! tenant-data export feeds. Each table's rows go into `data/<system>/<table>.json` as they
//! come and into an encrypted spool for the `.csv`, which follows the JSON entry; every entry
//! is hashed (SHA-256) as it is written, for the manifest.

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Timelike};
use chrono_tz::Europe::Amsterdam;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use super::pipe::ZipPipe;

use super::spool::Spool;
use super::{BundleMeta, BundleSummary, Progress, manifest, summary};
use crate::tenant_data::{DataMap, RowSink, SubjectIdentities, SystemMap, TableMap};

/// Rows between progress reports inside one table.
const PROGRESS_EVERY: u64 = 5_000;

/// One file of the zip, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileEntry {
    pub path: String,
    /// Uncompressed bytes.
    pub bytes: u64,
    /// SHA-256 of the uncompressed bytes, hex.
    pub sha256: String,
}

/// A writer that hashes and counts what passes through it.
pub(super) struct Hashing<W> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W> Hashing<W> {
    pub(super) fn new(inner: W) -> Self {
        Self {
            inner,
            sha: Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner writer, the hex digest and the byte count.
    pub(super) fn into_parts(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.sha.finalize()), self.bytes)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(data)?;
        self.sha.update(&data[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What the bundle knows of a table once written.
#[derive(Debug, Clone)]
pub(super) struct TableRecord {
    pub system: String,
    pub table: String,
    pub columns: Vec<String>,
    pub rows: u64,
    pub json_path: String,
    pub csv_path: String,
}

/// The table being written.
struct OpenTable {
    record: TableRecord,
    /// `"column":` per column, JSON-escaped once.
    keys: Vec<Vec<u8>>,
    json_sha: Sha256,
    json_bytes: u64,
    csv: csv::Writer<Hashing<Spool>>,
}

/// The bundle being written; see the module docs.
pub struct BundleWriter<'p, W: Write + Send + 'static> {
    zip: ZipPipe<W>,
    spool_dir: PathBuf,
    meta: BundleMeta,
    progress: &'p mut dyn FnMut(Progress),
    state: Progress,
    current: Option<OpenTable>,
    tables: Vec<TableRecord>,
    files: Vec<FileEntry>,
    row_buf: Vec<u8>,
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.to_owned())
}

/// A name that is safe as one path segment inside the zip.
fn path_segment(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.trim_start_matches('.') {
        "" => "_".to_owned(),
        t => t.to_owned(),
    }
}

/// A value as a CSV field: strings unquoted, NULL empty, numbers and booleans as written,
/// nested JSON (arrays, objects) as JSON text. Text is neutralised against formula
/// injection ([`neutralise`]); the JSON keeps the exact value.
fn csv_field(raw: &RawValue) -> Cow<'_, str> {
    let text = raw.get();
    if text.starts_with('"') {
        if let Ok(s) = serde_json::from_str::<&str>(text) {
            return neutralise(Cow::Borrowed(s));
        }
        if let Ok(s) = serde_json::from_str::<String>(text) {
            return neutralise(Cow::Owned(s));
        }
    }
    if text == "null" {
        return Cow::Borrowed("");
    }
    Cow::Borrowed(text)
}

/// CSV formula injection (OWASP, "CSV Injection"): a spreadsheet runs a cell that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula, so such text gets a
/// leading `'`. That includes phone numbers such as `+31 6 1234 5678`, which a spreadsheet
/// would otherwise turn into a sum or an error; the JSON file keeps the exact value, and the
/// bundle's LEESMIJ/README say so. JSON numbers (`-3.5`) are written as they are: they hold
/// no formula. Column names get the same treatment; so do the other CSV files inzage writes
/// (the audit trail, the report).
pub fn neutralise(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        text
    }
}

impl<'p, W: Write + Send + 'static> BundleWriter<'p, W> {
    pub fn new(
        out: W,
        spool_dir: &Path,
        meta: &BundleMeta,
        tables_total: usize,
        progress: &'p mut dyn FnMut(Progress),
    ) -> io::Result<Self> {
        let local = meta.generated_at.with_timezone(&Amsterdam);
        let modified = zip::DateTime::from_date_and_time(
            u16::try_from(local.year()).unwrap_or(1980),
            u8::try_from(local.month()).unwrap_or(1),
            u8::try_from(local.day()).unwrap_or(1),
            u8::try_from(local.hour()).unwrap_or(0),
            u8::try_from(local.minute()).unwrap_or(0),
            u8::try_from(local.second()).unwrap_or(0),
        )
        .unwrap_or_default();
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(modified)
            .unix_permissions(0o644);
        Ok(Self {
            zip: ZipPipe::new(out, options)?,
            spool_dir: spool_dir.to_owned(),
            meta: meta.clone(),
            progress,
            state: Progress {
                tables_done: 0,
                tables_total,
                rows: 0,
            },
            current: None,
            tables: Vec::new(),
            files: Vec::new(),
            row_buf: Vec::with_capacity(4096),
        })
    }

    /// Adds a whole small file (the summaries, the manifest), hashed.
    fn add_file(&mut self, path: &str, bytes: &[u8]) -> io::Result<()> {
        self.zip.start_file(path)?;
        self.zip.write_all(bytes)?;
        self.files.push(FileEntry {
            path: path.to_owned(),
            bytes: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
        });
        Ok(())
    }

    /// Writes the summaries and the manifest and closes the zip.
    pub fn finish(
        mut self,
        map: &DataMap,
        subject: &SubjectIdentities,
    ) -> io::Result<(BundleSummary, W)> {
        if self.current.is_some() {
            return Err(invalid("a table was not ended"));
        }
        let overview = manifest::Overview::new(map, &self.tables);
        for (path, language) in [
            ("LEESMIJ.html", crate::domain::Language::Nl),
            ("README.html", crate::domain::Language::En),
        ] {
            let html = summary::render(&self.meta, &overview.in_language(map, language), language)
                .map_err(|e| io::Error::other(format!("rendering {path}: {e}")))?;
            self.add_file(path, html.as_bytes())?;
        }
        let manifest = manifest::Manifest::new(&self.meta, subject, &overview, &self.files);
        let json = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
        self.add_file("manifest.json", &json)?;
        let (out, sha256, size_bytes) = self.zip.finish()?;
        let summary = BundleSummary {
            tables: self.tables.len(),
            rows: self.state.rows,
            size_bytes,
            sha256,
            files: self.files,
        };
        Ok((summary, out))
    }

    /// Writes `bytes` into the open JSON entry, hashing them.
    fn emit_json(zip: &mut ZipPipe<W>, t: &mut OpenTable, bytes: &[u8]) -> io::Result<()> {
        zip.write_all(bytes)?;
        t.json_sha.update(bytes);
        t.json_bytes += bytes.len() as u64;
        Ok(())
    }
}

impl<W: Write + Send + 'static> RowSink for BundleWriter<'_, W> {
    fn begin_table(
        &mut self,
        system: &SystemMap,
        table: &TableMap,
        columns: &[String],
    ) -> io::Result<()> {
        if self.current.is_some() {
            return Err(invalid("a table began before the previous one ended"));
        }
        let dir = format!(
            "data/{}/{}",
            path_segment(&system.name),
            path_segment(&table.name)
        );
        let record = TableRecord {
            system: system.name.clone(),
            table: table.name.clone(),
            columns: columns.to_vec(),
            rows: 0,
            json_path: format!("{dir}.json"),
            csv_path: format!("{dir}.csv"),
        };
        let keys = columns
            .iter()
            .map(|c| {
                let mut k = serde_json::to_vec(c).map_err(io::Error::other)?;
                k.push(b':');
                Ok(k)
            })
            .collect::<io::Result<Vec<_>>>()?;
        let mut csv = csv::WriterBuilder::new()
            .buffer_capacity(64 * 1024)
            .from_writer(Hashing::new(Spool::new(&self.spool_dir)?));
        csv.write_record(
            columns
                .iter()
                .map(|c| Field(neutralise(Cow::Borrowed(c.as_str())))),
        )
        .map_err(io::Error::other)?;
        self.zip.start_file(&record.json_path)?;
        let mut t = OpenTable {
            record,
            keys,
            json_sha: Sha256::new(),
            json_bytes: 0,
            csv,
        };
        Self::emit_json(&mut self.zip, &mut t, b"[")?;
        self.current = Some(t);
        Ok(())
    }

    fn row(&mut self, values: &[&RawValue]) -> io::Result<()> {
        let Some(t) = self.current.as_mut() else {
            return Err(invalid("a row came outside a table"));
        };
        if values.len() != t.keys.len() {
            return Err(invalid(
                "a row has another number of values than its table has columns",
            ));
        }
        let buf = &mut self.row_buf;
        buf.clear();
        buf.extend_from_slice(if t.record.rows == 0 { b"\n{" } else { b",\n{" });
        for (i, (key, value)) in t.keys.iter().zip(values).enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(key);
            buf.extend_from_slice(value.get().as_bytes());
        }
        buf.push(b'}');
        Self::emit_json(&mut self.zip, t, buf)?;
        t.csv
            .write_record(values.iter().map(|v| Field(csv_field(v))))
            .map_err(io::Error::other)?;
        t.record.rows += 1;
        self.state.rows += 1;
        if t.record.rows % PROGRESS_EVERY == 0 {
            (self.progress)(self.state);
        }
        Ok(())
    }

    fn end_table(&mut self, _rows: u64) -> io::Result<()> {
        let Some(mut t) = self.current.take() else {
            return Err(invalid("a table ended that had not begun"));
        };
        let tail: &[u8] = if t.record.rows == 0 { b"]\n" } else { b"\n]\n" };
        Self::emit_json(&mut self.zip, &mut t, tail)?;
        self.files.push(FileEntry {
            path: t.record.json_path.clone(),
            bytes: t.json_bytes,
            sha256: hex::encode(t.json_sha.finalize()),
        });
        let spool = t.csv.into_inner().map_err(|e| e.into_error())?;
        let (spool, sha256, bytes) = spool.into_parts();
        self.zip.start_file(&t.record.csv_path)?;
        io::copy(&mut spool.into_reader()?, &mut self.zip)?;
        self.files.push(FileEntry {
            path: t.record.csv_path.clone(),
            bytes,
            sha256,
        });
        self.tables.push(t.record);
        self.state.tables_done += 1;
        (self.progress)(self.state);
        Ok(())
    }
}

/// A CSV field: `csv::Writer::write_record` takes `AsRef<[u8]>`, which `Cow<str>` is not.
struct Field<'a>(Cow<'a, str>);

impl AsRef<[u8]> for Field<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::collections::BTreeMap;
    use std::io::{Cursor, Read};

    use chrono::{TimeZone, Utc};
    use serde_json::Value;

    use super::*;
    use crate::domain::{IdentityKind, RequestKind};
    use crate::tenant_data::{Follow, SystemMap, TableMap};

    fn table(name: &str) -> TableMap {
        TableMap {
            name: name.to_owned(),
            primary_key: "id".to_owned(),
            identity: BTreeMap::new(),
            exclude: vec!["password_hash".to_owned()],
            category: Some("Contact details".to_owned()),
            columns: BTreeMap::from([("phone".to_owned(), "Phone number".to_owned())]),
            purposes: vec!["Membership administration".to_owned()],
            retention: Some("Two years after membership ends".to_owned()),
            source: Some("The subject".to_owned()),
            recipients: vec![],
            follows: vec![],
            on_erasure: None,
            keep_reason: None,
            restriction: None,
            rectifiable: vec![],
        }
    }

    fn map() -> DataMap {
        let mut members = table("members");
        members
            .identity
            .insert(IdentityKind::Email, "email".to_owned());
        let mut orders = table("orders");
        orders.follows.push(Follow {
            column: "member_id".to_owned(),
            table: "members".to_owned(),
            references: "id".to_owned(),
        });
        orders.category = Some("Orders".to_owned());
        orders.purposes = vec![];
        orders.retention = None;
        // One text with a Dutch and an English wording (`{ nl, en }` in a map).
        let labels = [(
            "Orders".to_owned(),
            crate::tenant_data::Label {
                nl: Some("Bestellingen".to_owned()),
                en: Some("Orders placed".to_owned()),
            },
        )]
        .into();
        DataMap {
            labels,
            tenant: "demo".to_owned(),
            file: "exports/demo.toml".to_owned(),
            systems: vec![SystemMap {
                name: "app".to_owned(),
                url: "sqlite://x.db".to_owned(),
                description: "Member app <database>".to_owned(),
                tables: vec![members, orders],
            }],
        }
    }

    fn meta() -> BundleMeta {
        BundleMeta {
            reference: "DSR-2026-000042".to_owned(),
            kind: RequestKind::Access,
            received_at: Utc.with_ymd_and_hms(2026, 3, 5, 9, 30, 0).unwrap(),
            controller_slug: "demo".to_owned(),
            controller_name: "Sportclub De Demo".to_owned(),
            controller_email: "privacy@demo.example".to_owned(),
            processor: "inzage".to_owned(),
            generated_at: Utc.with_ymd_and_hms(2026, 3, 20, 14, 5, 0).unwrap(),
        }
    }

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap()
    }

    /// Writes the two tables by hand, as an export would, and returns the zip's bytes.
    fn write(
        member_rows: &[Vec<&str>],
        order_rows: usize,
    ) -> (BundleSummary, Vec<u8>, Vec<Progress>) {
        let dir = tempfile::tempdir().unwrap();
        let map = map();
        let mut seen = Vec::new();
        let mut progress = |p: Progress| seen.push(p);
        let mut w = BundleWriter::new(Vec::new(), dir.path(), &meta(), 2, &mut progress).unwrap();
        let s = &map.systems[0];
        let cols: Vec<String> = ["id", "email", "phone", "fee", "active", "joined_at", "note"]
            .map(str::to_owned)
            .to_vec();
        w.begin_table(s, &s.tables[0], &cols).unwrap();
        for r in member_rows {
            let values: Vec<Box<RawValue>> = r.iter().map(|v| raw(v)).collect();
            let refs: Vec<&RawValue> = values.iter().map(AsRef::as_ref).collect();
            w.row(&refs).unwrap();
        }
        w.end_table(member_rows.len() as u64).unwrap();
        let ocols = vec!["id".to_owned(), "member_id".to_owned()];
        w.begin_table(s, &s.tables[1], &ocols).unwrap();
        for i in 0..order_rows {
            let (a, b) = (raw(&i.to_string()), raw("1"));
            w.row(&[&a, &b]).unwrap();
        }
        w.end_table(order_rows as u64).unwrap();
        let subject = SubjectIdentities {
            emails: vec!["anna@example.nl".to_owned()],
            ..Default::default()
        };
        let (summary, out) = w.finish(&map, &subject).unwrap();
        (summary, out, seen)
    }

    fn entry(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Vec<u8> {
        let mut f = zip.by_name(name).expect(name);
        let mut out = Vec::new();
        f.read_to_end(&mut out).unwrap();
        out
    }

    const ANNA: [&str; 7] = [
        "1",
        r#""anna@example.nl""#,
        r#""+31 6 1234 5678""#,
        "12.50",
        "true",
        r#""2026-03-05T09:30:00""#,
        r#""Zoë, \"quoted\"\nnew line 日本""#,
    ];
    const NULLS: [&str; 7] = [
        "2",
        r#""anna@example.nl""#,
        "null",
        "0.10",
        "false",
        "null",
        "null",
    ];

    #[test]
    fn json_and_csv_hold_the_same_rows_with_their_types() {
        let (summary, zip_bytes, _) = write(&[ANNA.to_vec(), NULLS.to_vec()], 3);
        assert_eq!(summary.rows, 5);
        assert_eq!(summary.tables, 2);
        let mut zip = zip::ZipArchive::new(Cursor::new(zip_bytes.as_slice())).unwrap();
        let json = entry(&mut zip, "data/app/members.json");
        // exact digits survive: the raw text is kept, never parsed into a float
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(text.contains(r#""fee":12.50"#), "{text}");
        assert!(text.contains(r#""fee":0.10"#));
        let rows: Vec<serde_json::Map<String, Value>> = serde_json::from_slice(&json).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["id"], 1);
        assert_eq!(rows[0]["active"], true);
        assert_eq!(rows[1]["phone"], Value::Null);
        assert_eq!(rows[0]["note"], "Zoë, \"quoted\"\nnew line 日本");
        // columns keep the table's order
        assert_eq!(
            rows[0].keys().collect::<Vec<_>>(),
            ["id", "email", "phone", "fee", "active", "joined_at", "note"]
        );

        let csv_bytes = entry(&mut zip, "data/app/members.csv");
        let mut csv = csv::Reader::from_reader(csv_bytes.as_slice());
        assert_eq!(
            csv.headers().unwrap().iter().collect::<Vec<_>>(),
            ["id", "email", "phone", "fee", "active", "joined_at", "note"]
        );
        let headers = csv.headers().unwrap().clone();
        let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 2);
        // the same rows, value for value; numbers compared as written, not as floats
        let raw_rows: Vec<std::collections::HashMap<String, Box<RawValue>>> =
            serde_json::from_slice(&json).unwrap();
        for (record, row) in records.iter().zip(&raw_rows) {
            for (name, field) in headers.iter().zip(record) {
                let value = row[name].get();
                let expected = match serde_json::from_str::<Value>(value).unwrap() {
                    Value::String(s) => neutralise(Cow::Owned(s)).into_owned(),
                    Value::Null => String::new(),
                    _ => value.to_owned(),
                };
                assert_eq!(field, expected, "column {name}");
            }
        }
        assert_eq!(
            &records[0][2], "'+31 6 1234 5678",
            "a phone number is neutralised"
        );
        assert_eq!(
            rows[0]["phone"], "+31 6 1234 5678",
            "the JSON keeps it exact"
        );
        assert_eq!(&records[0][3], "12.50");
        assert_eq!(&records[0][6], "Zoë, \"quoted\"\nnew line 日本");
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_neutralised() {
        for (cell, expected) in [
            (
                "=HYPERLINK(\"http://evil\")",
                "'=HYPERLINK(\"http://evil\")",
            ),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("+31 6 1234 5678", "'+31 6 1234 5678"),
            ("Anna", "Anna"),
            (" =1", " =1"),
            ("", ""),
        ] {
            let raw = serde_json::value::to_raw_value(cell).unwrap();
            assert_eq!(csv_field(&raw), expected, "{cell:?}");
        }
        let number = RawValue::from_string("-3.5".to_owned()).unwrap();
        assert_eq!(csv_field(&number), "-3.5");
    }

    #[test]
    fn the_manifest_counts_and_hashes_every_file() {
        let (summary, zip_bytes, _) = write(&[ANNA.to_vec()], 0);
        assert_eq!(summary.size_bytes, zip_bytes.len() as u64);
        assert_eq!(summary.sha256, hex::encode(Sha256::digest(&zip_bytes)));
        let mut zip = zip::ZipArchive::new(Cursor::new(zip_bytes.as_slice())).unwrap();
        let manifest: Value = serde_json::from_slice(&entry(&mut zip, "manifest.json")).unwrap();
        assert_eq!(manifest["format"], MANIFEST_FORMAT_FOR_TESTS);
        assert_eq!(manifest["request"]["reference"], "DSR-2026-000042");
        assert_eq!(manifest["request"]["article"], "15");
        assert_eq!(manifest["controller"]["name"], "Sportclub De Demo");
        assert_eq!(manifest["totals"]["rows"], 1);
        let tables = &manifest["systems"][0]["tables"];
        assert_eq!(tables[0]["rows"], 1);
        assert_eq!(tables[1]["rows"], 0);
        assert_eq!(
            tables[0]["categories"],
            serde_json::json!(["Contact details", "Phone number"])
        );
        let files = manifest["files"].as_array().unwrap();
        let names: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "data/app/members.json",
                "data/app/members.csv",
                "data/app/orders.json",
                "data/app/orders.csv",
                "LEESMIJ.html",
                "README.html"
            ]
        );
        for f in files {
            let bytes = entry(&mut zip, f["path"].as_str().unwrap());
            assert_eq!(f["bytes"], bytes.len() as u64);
            assert_eq!(f["sha256"], hex::encode(Sha256::digest(&bytes)));
        }
        // an empty table is an empty array and a header-only CSV
        assert_eq!(entry(&mut zip, "data/app/orders.json"), b"[]\n");
        assert_eq!(entry(&mut zip, "data/app/orders.csv"), b"id,member_id\n");
    }

    const MANIFEST_FORMAT_FOR_TESTS: &str = super::super::MANIFEST_FORMAT;

    #[test]
    fn the_summaries_name_the_art_15_items_and_escape_the_map_text() {
        let (_, zip_bytes, _) = write(&[ANNA.to_vec()], 1);
        let mut zip = zip::ZipArchive::new(Cursor::new(zip_bytes.as_slice())).unwrap();
        let nl = String::from_utf8(entry(&mut zip, "LEESMIJ.html")).unwrap();
        let en = String::from_utf8(entry(&mut zip, "README.html")).unwrap();
        for (html, words) in [
            (
                &nl,
                [
                    "Autoriteit Persoonsgegevens",
                    "Bewaartermijn",
                    "Doeleinden",
                    "Ontvangers",
                    "Bron",
                    "art. 16 AVG",
                ],
            ),
            (
                &en,
                [
                    "Autoriteit Persoonsgegevens",
                    "Retention",
                    "Purposes",
                    "Recipients",
                    "Source",
                    "Art. 16 GDPR",
                ],
            ),
        ] {
            for w in words {
                assert!(html.contains(w), "{w} missing");
            }
            assert!(html.contains("DSR-2026-000042"));
            assert!(html.contains("Two years after membership ends"));
            // text from the data map is escaped
            assert!(
                html.contains("Member app &#60;database&#62;")
                    || html.contains("Member app &lt;database&gt;"),
                "{html}"
            );
        }
        assert!(nl.contains("niet opgegeven; vraag het Sportclub De Demo"));
        // Each summary reads the map's texts in its own language.
        assert!(nl.contains("Bestellingen") && !nl.contains("Orders placed"));
        assert!(en.contains("Orders placed") && !en.contains("Bestellingen"));
        // It claims only what it shows: the systems the processor hosts for the controller.
        assert!(nl.contains("de systemen die") && !nl.contains("alle persoonsgegevens"));
        assert!(en.contains("the systems") && !en.contains("all personal data"));
        // No brackets inside brackets (a citation's "15(3)" is not a bracket).
        for html in [&nl, &en] {
            let mut open: Vec<bool> = Vec::new();
            let mut prev = ' ';
            for (i, c) in html.char_indices() {
                match c {
                    '(' => open.push(prev.is_ascii_alphanumeric() || prev == ')'),
                    ')' => {
                        open.pop();
                    }
                    _ => {}
                }
                prev = c;
                let around = html.get(i.saturating_sub(120)..i).unwrap_or_default();
                let real = open.iter().filter(|citation| !**citation).count();
                assert!(real <= 1, "nested brackets after: {around}");
            }
        }
    }

    #[test]
    fn progress_is_reported_per_table_and_within_large_tables() {
        let (_, _, seen) = write(&[ANNA.to_vec()], 12_000);
        assert!(seen.contains(&Progress {
            tables_done: 1,
            tables_total: 2,
            rows: 1
        }));
        assert!(seen.iter().any(|p| p.tables_done == 1 && p.rows == 5_001));
        assert_eq!(
            seen.last(),
            Some(&Progress {
                tables_done: 2,
                tables_total: 2,
                rows: 12_001
            })
        );
    }

    #[test]
    fn misuse_of_the_sink_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let map = map();
        let mut progress = |_: Progress| {};
        let mut w = BundleWriter::new(Vec::new(), dir.path(), &meta(), 2, &mut progress).unwrap();
        let one = raw("1");
        assert!(w.row(&[&one]).is_err());
        assert!(w.end_table(0).is_err());
        let s = &map.systems[0];
        w.begin_table(s, &s.tables[0], &["id".to_owned()]).unwrap();
        assert!(w.row(&[&one, &one]).is_err());
        assert!(w.begin_table(s, &s.tables[1], &["id".to_owned()]).is_err());
    }

    #[test]
    fn path_segments_stay_inside_the_zip() {
        assert_eq!(path_segment("orders"), "orders");
        assert_eq!(path_segment("../etc/passwd"), "_etc_passwd");
        assert_eq!(path_segment("Order Lines"), "Order_Lines");
        assert_eq!(path_segment(""), "_");
    }
}
