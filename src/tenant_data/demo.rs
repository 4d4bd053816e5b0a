//! The demo tenant's own database: a sports club's member app (SQLite), matching
//! `exports/demo.toml`, so `serve --demo` and the quick start can compile a real bundle.
//!
//! Owns the demo schema and its data: realistic Dutch members, orders with order lines,
//! court bookings, logins and newsletter subscriptions for `people` persons. Deterministic (a
//! fixed seed: the same call makes the same rows) and fast (one transaction). Person 1 is
//! Anna de Vries, `anna@example.nl`, with rows in every table (the README's quick start files
//! a request for her). Every address and account number is made up.

use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{Connection, RunQueryDsl};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

/// The variable `exports/demo.toml` reads its system's URL from (`url = "env:INZAGE_DEMO_APP_DB"`).
pub const DEMO_URL_VAR: &str = "INZAGE_DEMO_APP_DB";

/// `exports/demo.toml`, built in: the demo works from any working directory.
pub const DEMO_DATAMAP: &str = include_str!("../../exports/demo.toml");

/// What [`DEMO_DATAMAP`] is called in errors.
pub const DEMO_DATAMAP_FILE: &str = "exports/demo.toml";

/// The demo tenant's data map, parsed.
pub fn demo_datamap() -> Result<crate::tenant_data::DataMap, crate::tenant_data::DataMapError> {
    crate::tenant_data::DataMap::parse(DEMO_DATAMAP, DEMO_DATAMAP_FILE)
}

/// How many people `serve --demo` puts in the demo database.
pub const DEMO_PEOPLE: usize = 300;

/// The e-mail address of the demo person the quick start asks about.
pub const DEMO_SUBJECT_EMAIL: &str = "anna@example.nl";

/// Where the demo database lives under the data dir (`$INZAGE_DATA_DIR/demo/app.db`).
pub fn demo_database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("demo").join("app.db")
}

/// The `sqlite://` URL of a database file, as a data map (or [`DEMO_URL_VAR`]) wants it.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// The demo database could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot create the demo database {path}")]
pub struct DemoError {
    pub path: String,
    #[source]
    pub cause: DemoCause,
}

/// What went wrong creating the demo database.
#[derive(Debug, thiserror::Error)]
pub enum DemoCause {
    #[error("the path is not valid UTF-8")]
    Path,
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Connect(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

const SCHEMA: &str = r#"
CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    member_number TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    birth_date DATE,
    street TEXT,
    house_number TEXT,
    postal_code TEXT,
    city TEXT,
    iban TEXT,
    membership TEXT NOT NULL,
    member_since DATE NOT NULL,
    is_active BOOLEAN NOT NULL,
    password_hash TEXT NOT NULL,
    processing_restricted BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP
);
CREATE INDEX members_email ON members (lower(trim(email)));
CREATE INDEX members_phone ON members (trim(phone));

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id),
    ordered_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    total_eur DECIMAL(10,2) NOT NULL,
    delivery_note TEXT
);
CREATE INDEX orders_member ON orders (member_id);

CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders (id),
    product TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price_eur DECIMAL(10,2) NOT NULL,
    vat_rate DECIMAL(4,2) NOT NULL
);
CREATE INDEX order_lines_order ON order_lines (order_id);

CREATE TABLE bookings (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id),
    facility TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    guests INTEGER NOT NULL,
    cancelled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX bookings_member ON bookings (member_id);

CREATE TABLE login_events (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id),
    logged_in_at TIMESTAMP NOT NULL,
    ip_address TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    success BOOLEAN NOT NULL
);
CREATE INDEX login_events_member ON login_events (member_id);

CREATE TABLE newsletter_subscriptions (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    list TEXT NOT NULL,
    subscribed_at TIMESTAMP NOT NULL,
    consent_text TEXT NOT NULL,
    ip_address TEXT,
    unsubscribed_at TIMESTAMP
);
CREATE INDEX newsletter_email ON newsletter_subscriptions (lower(trim(email)));
"#;

const FIRST_NAMES: [&str; 30] = [
    "Daan", "Sem", "Lotte", "Emma", "Noah", "Julia", "Lucas", "Sophie", "Milan", "Zoë", "Fenna",
    "Bram", "Tess", "Jesse", "Sanne", "Thijs", "Femke", "Ruben", "Iris", "Sven", "Noor", "Finn",
    "Maud", "Joost", "Eline", "Gijs", "Roos", "Stijn", "Yara", "Mohammed",
];
const LAST_NAMES: [&str; 30] = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "Kok",
    "Yılmaz",
    "El Amrani",
    "Nguyen",
    "Öztürk",
];
const STREETS: [&str; 14] = [
    "Kerkstraat",
    "Dorpsstraat",
    "Molenweg",
    "Stationsweg",
    "Schoolstraat",
    "Julianalaan",
    "Beatrixstraat",
    "Lindelaan",
    "Eikenlaan",
    "Wilhelminastraat",
    "Oranjestraat",
    "Parkweg",
    "Prinsengracht",
    "Vondellaan",
];
/// City and the first digits of its postal codes.
const CITIES: [(&str, u32); 10] = [
    ("Utrecht", 3511),
    ("Amsterdam", 1012),
    ("Rotterdam", 3011),
    ("Den Haag", 2511),
    ("Eindhoven", 5611),
    ("Groningen", 9711),
    ("Zwolle", 8011),
    ("Haarlem", 2011),
    ("Amersfoort", 3811),
    ("Nijmegen", 6511),
];
/// Product, price in cents, VAT rate.
const PRODUCTS: [(&str, i64, &str); 10] = [
    ("Clubshirt", 2995, "21.00"),
    ("Sporttas", 3450, "21.00"),
    ("Padelballen (3 stuks)", 695, "21.00"),
    ("Tennisballen (4 stuks)", 850, "21.00"),
    ("Bidon", 750, "21.00"),
    ("Trainingsjack", 5400, "21.00"),
    ("Grip tape", 425, "21.00"),
    ("Koffie", 240, "9.00"),
    ("Tosti ham-kaas", 375, "9.00"),
    ("Energiereep", 210, "9.00"),
];
const FACILITIES: [&str; 5] = [
    "Padelbaan 1",
    "Padelbaan 2",
    "Tennisbaan 3",
    "Squashbaan A",
    "Sporthal (halve zaal)",
];
const USER_AGENTS: [&str; 4] = [
    "Sportclub-app/4.2 (iOS 18.3)",
    "Sportclub-app/4.2 (Android 15)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/136.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1.15",
];
const CONSENT: &str = "Ja, ik wil de nieuwsbrief van Sportclub De Demo ontvangen. Afmelden kan \
                       altijd via de link onderaan elke nieuwsbrief.";

/// A value to bind.
enum V {
    T(String),
    I(i64),
    Null,
}

fn t(s: impl Into<String>) -> V {
    V::T(s.into())
}

fn insert(conn: &mut SqliteConnection, sql: &str, values: Vec<V>) -> diesel::QueryResult<()> {
    let mut q = diesel::sql_query(sql).into_boxed::<Sqlite>();
    for v in values {
        q = match v {
            V::T(s) => q.bind::<Text, _>(s),
            V::I(i) => q.bind::<BigInt, _>(i),
            V::Null => q.bind::<Nullable<Text>, _>(None::<String>),
        };
    }
    q.execute(conn).map(|_| ())
}

fn ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn euros(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn email_local(first: &str, last: &str) -> String {
    let fold = |s: &str| -> String {
        s.chars()
            .filter_map(|c| match c {
                'ë' | 'é' | 'è' => Some('e'),
                'ö' | 'Ö' => Some('o'),
                'ı' => Some('i'),
                ' ' => None,
                c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
                _ => None,
            })
            .collect()
    };
    format!("{}.{}", fold(first), fold(last))
}

struct Person {
    email: String,
}

/// Creates a SQLite database at `path` matching `exports/demo.toml`, with realistic Dutch data
/// for `people` persons (at least one: Anna de Vries). The file is built next to `path` and
/// moved into place at the end, so a reader never sees half a database; an existing file at
/// `path` is replaced (it is demo data).
pub fn create_demo_database(path: &Path, people: usize) -> Result<(), DemoError> {
    let fail = |cause: DemoCause| DemoError {
        path: path.display().to_string(),
        cause,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(e.into()))?;
    }
    let tmp = PathBuf::from(format!("{}.tmp-{}", path.display(), std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let tmp_str = tmp.to_str().ok_or_else(|| fail(DemoCause::Path))?;
    let result = (|| -> Result<(), DemoCause> {
        let mut conn = SqliteConnection::establish(tmp_str)?;
        conn.batch_execute(SCHEMA)?;
        conn.transaction(|c| fill(c, people.max(1)))?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e.into())
    })
}

fn fill(conn: &mut SqliteConnection, people: usize) -> diesel::QueryResult<()> {
    let mut rng = StdRng::seed_from_u64(0x1A5A_2026);
    let day0 = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap_or_default();
    let at = |date: NaiveDate, minutes: i64| {
        date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minutes)
    };
    let mut persons = Vec::with_capacity(people);
    let (mut order_id, mut line_id, mut booking_id, mut login_id, mut sub_id) = (0, 0, 0, 0, 0);
    for i in 0..people {
        let anna = i == 0;
        let id = i as i64 + 1;
        let (first, last) = if anna {
            ("Anna".to_owned(), "de Vries".to_owned())
        } else {
            (
                FIRST_NAMES
                    .choose(&mut rng)
                    .copied()
                    .unwrap_or("Sem")
                    .to_owned(),
                LAST_NAMES
                    .choose(&mut rng)
                    .copied()
                    .unwrap_or("Bakker")
                    .to_owned(),
            )
        };
        let email = if anna {
            "anna@example.nl".to_owned()
        } else {
            let domain = ["example.nl", "example.com", "example.org"]
                .choose(&mut rng)
                .copied()
                .unwrap_or("example.nl");
            format!("{}{id}@{domain}", email_local(&first, &last))
        };
        let (city, pc) = CITIES
            .choose(&mut rng)
            .copied()
            .unwrap_or(("Utrecht", 3511));
        let letters: String = (0..2)
            .map(|_| char::from(b'A' + rng.random_range(0..26u8)))
            .collect();
        let birth = day0 - Duration::days(rng.random_range(365 * 8..365 * 75));
        // Anna is an adult member in Utrecht (the quick start shows her data).
        let (city, pc, birth) = if anna {
            let born = NaiveDate::from_ymd_opt(1987, 6, 14).unwrap_or(birth);
            ("Utrecht", 3511, born)
        } else {
            (city, pc, birth)
        };
        let since = day0 + Duration::days(rng.random_range(0..365 * 6));
        let membership = if anna {
            "senior"
        } else if (day0 - birth).num_days() < 365 * 18 {
            "junior"
        } else {
            ["senior", "senior", "gezin", "student", "dal"]
                .choose(&mut rng)
                .copied()
                .unwrap_or("senior")
        };
        let created = at(since, rng.random_range(8 * 60..22 * 60));
        let updated = rng
            .random_bool(0.6)
            .then(|| created + Duration::days(rng.random_range(1..900)));
        let phone = (anna || rng.random_bool(0.85))
            .then(|| format!("+31 6 {:08}", rng.random_range(10_000_000..99_999_999u32)));
        let salt: String = (0..22)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]))
            .collect();
        let hash: String = (0..43)
            .map(|_| {
                char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/"[rng.random_range(0..44)])
            })
            .collect();
        insert(
            conn,
            "INSERT INTO members (id, member_number, first_name, last_name, email, phone, \
             birth_date, street, house_number, postal_code, city, iban, membership, member_since, \
             is_active, password_hash, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                V::I(id),
                t(format!("SDD-{:05}", 1000 + id)),
                t(first.clone()),
                t(last.clone()),
                t(email.clone()),
                phone.map_or(V::Null, V::T),
                t(birth.to_string()),
                t(STREETS.choose(&mut rng).copied().unwrap_or("Kerkstraat")),
                t(if rng.random_bool(0.15) {
                    format!(
                        "{}{}",
                        rng.random_range(1..200),
                        ["a", "b", "-2"][rng.random_range(0..3)]
                    )
                } else {
                    rng.random_range(1..200).to_string()
                }),
                t(format!("{} {letters}", pc + rng.random_range(0..80))),
                t(city),
                t(format!(
                    "NL{:02}DEMO0{:09}",
                    rng.random_range(10..99),
                    rng.random_range(0..999_999_999u32)
                )),
                t(membership),
                t(since.to_string()),
                V::I(i64::from(anna || rng.random_bool(0.9))),
                t(format!("$argon2id$v=19$m=19456,t=2,p=1${salt}${hash}")),
                t(ts(created)),
                updated.map_or(V::Null, |u| t(ts(u))),
            ],
        )?;

        // Webshop and bar orders, each with its lines (two levels of follows).
        let orders = if anna { 3 } else { rng.random_range(0..=6) };
        for _ in 0..orders {
            order_id += 1;
            let ordered = created + Duration::minutes(rng.random_range(60..60 * 24 * 900));
            let mut total = 0;
            let lines = if anna { 2 } else { rng.random_range(1..=4) };
            let lines: Vec<(&str, i64, &str, i64)> = (0..lines)
                .map(|_| {
                    let (product, cents, vat) =
                        PRODUCTS.choose(&mut rng).copied().unwrap_or(PRODUCTS[0]);
                    let qty = rng.random_range(1..=3);
                    total += cents * qty;
                    (product, cents, vat, qty)
                })
                .collect();
            insert(
                conn,
                "INSERT INTO orders (id, member_id, ordered_at, status, payment_method, total_eur, \
                 delivery_note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                vec![
                    V::I(order_id),
                    V::I(id),
                    t(ts(ordered)),
                    t(["betaald", "betaald", "geleverd", "geannuleerd"][rng.random_range(0..4)]),
                    t(["iDEAL", "iDEAL", "pin aan de bar", "automatische incasso"]
                        [rng.random_range(0..4)]),
                    t(euros(total)),
                    if rng.random_bool(0.2) {
                        t("Graag afgeven bij de bar, \"t.a.v. de penningmeester\"")
                    } else {
                        V::Null
                    },
                ],
            )?;
            for (product, cents, vat, qty) in lines {
                line_id += 1;
                insert(
                    conn,
                    "INSERT INTO order_lines (id, order_id, product, quantity, unit_price_eur, \
                     vat_rate) VALUES (?, ?, ?, ?, ?, ?)",
                    vec![
                        V::I(line_id),
                        V::I(order_id),
                        t(product),
                        V::I(qty),
                        t(euros(cents)),
                        t(vat),
                    ],
                )?;
            }
        }

        let bookings = if anna { 4 } else { rng.random_range(0..=8) };
        for _ in 0..bookings {
            booking_id += 1;
            let day = since + Duration::days(rng.random_range(1..900));
            let start = at(day, 60 * rng.random_range(8..22));
            insert(
                conn,
                "INSERT INTO bookings (id, member_id, facility, starts_at, ends_at, guests, \
                 cancelled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                vec![
                    V::I(booking_id),
                    V::I(id),
                    t(FACILITIES
                        .choose(&mut rng)
                        .copied()
                        .unwrap_or("Padelbaan 1")),
                    t(ts(start)),
                    t(ts(
                        start + Duration::minutes([60, 90][rng.random_range(0..2)])
                    )),
                    V::I(rng.random_range(0..=3)),
                    V::I(i64::from(rng.random_bool(0.1))),
                    t(ts(start - Duration::hours(rng.random_range(2..200)))),
                ],
            )?;
        }

        let logins = if anna { 5 } else { rng.random_range(0..=10) };
        for _ in 0..logins {
            login_id += 1;
            insert(
                conn,
                "INSERT INTO login_events (id, member_id, logged_in_at, ip_address, user_agent, \
                 success) VALUES (?, ?, ?, ?, ?, ?)",
                vec![
                    V::I(login_id),
                    V::I(id),
                    t(ts(
                        created + Duration::minutes(rng.random_range(1..60 * 24 * 1000))
                    )),
                    t(format!("192.0.2.{}", rng.random_range(1..255))),
                    t(USER_AGENTS
                        .choose(&mut rng)
                        .copied()
                        .unwrap_or(USER_AGENTS[0])),
                    V::I(i64::from(rng.random_bool(0.93))),
                ],
            )?;
        }
        persons.push(Person { email });
    }

    // Newsletters are keyed by e-mail only: members (Anna on two lists, once typed with
    // capitals) and people who never became members.
    let mut subscribe = |conn: &mut SqliteConnection,
                         rng: &mut StdRng,
                         email: String,
                         list: &str| {
        sub_id += 1;
        let when = at(day0, rng.random_range(0..60 * 24 * 2000));
        let gone = rng
            .random_bool(0.15)
            .then(|| when + Duration::days(rng.random_range(10..500)));
        insert(
            conn,
            "INSERT INTO newsletter_subscriptions (id, email, list, subscribed_at, consent_text, \
             ip_address, unsubscribed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                V::I(sub_id),
                t(email),
                t(list),
                t(ts(when)),
                t(CONSENT),
                if rng.random_bool(0.8) {
                    t(format!("198.51.100.{}", rng.random_range(1..255)))
                } else {
                    V::Null
                },
                gone.map_or(V::Null, |g| t(ts(g))),
            ],
        )
    };
    subscribe(conn, &mut rng, "anna@example.nl".to_owned(), "nieuwsbrief")?;
    subscribe(
        conn,
        &mut rng,
        " Anna@Example.nl".to_owned(),
        "wedstrijdinfo",
    )?;
    for p in persons.iter().skip(1) {
        if rng.random_bool(0.4) {
            subscribe(conn, &mut rng, p.email.clone(), "nieuwsbrief")?;
        }
    }
    for n in 0..(people / 10) {
        let first = FIRST_NAMES.choose(&mut rng).copied().unwrap_or("Sem");
        let last = LAST_NAMES.choose(&mut rng).copied().unwrap_or("Bakker");
        let email = format!("{}.{}@example.net", email_local(first, last), 9000 + n);
        subscribe(conn, &mut rng, email, "nieuwsbrief")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::tenant_data::{DataMap, RowSink, SubjectIdentities, SystemMap, TableMap};

    #[derive(Default)]
    struct Counts(Vec<(String, u64)>);

    impl RowSink for Counts {
        fn begin_table(
            &mut self,
            _: &SystemMap,
            t: &TableMap,
            _: &[String],
        ) -> std::io::Result<()> {
            self.0.push((t.name.clone(), 0));
            Ok(())
        }
        fn row(&mut self, _: &[&serde_json::value::RawValue]) -> std::io::Result<()> {
            Ok(())
        }
        fn end_table(&mut self, rows: u64) -> std::io::Result<()> {
            if let Some(last) = self.0.last_mut() {
                last.1 = rows;
            }
            Ok(())
        }
    }

    #[test]
    fn the_demo_database_matches_demo_toml_and_anna_is_in_every_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = demo_database_path(dir.path());
        create_demo_database(&path, 50).unwrap();
        let map = DataMap::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("exports/demo.toml"))
            .unwrap();
        assert_eq!(demo_datamap().unwrap().systems, map.systems);
        let mut options = crate::tenant_data::ExportOptions::default();
        options
            .vars
            .insert(DEMO_URL_VAR.to_owned(), sqlite_url(&path));
        let report = crate::tenant_data::check_connect(&map, &options);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert!(report.unreachable.is_empty(), "{:?}", report.unreachable);
        let mut counts = Counts::default();
        let subject = SubjectIdentities {
            emails: vec![DEMO_SUBJECT_EMAIL.to_owned()],
            ..Default::default()
        };
        crate::tenant_data::export_subject_with(&map, &subject, &mut counts, &options).unwrap();
        assert_eq!(counts.0.len(), map.table_count());
        for (table, rows) in &counts.0 {
            assert!(*rows > 0, "no rows for Anna in {table}");
        }
        let newsletter = counts
            .0
            .iter()
            .find(|(t, _)| t == "newsletter_subscriptions");
        assert_eq!(newsletter.map(|n| n.1), Some(2));

        // Deterministic: the same call makes the same file.
        let again = dir.path().join("again.db");
        create_demo_database(&again, 50).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(&again).unwrap()
        );
        // Replacing an existing file works; the default size is quick.
        let started = std::time::Instant::now();
        create_demo_database(&again, DEMO_PEOPLE).unwrap();
        eprintln!(
            "demo database of {DEMO_PEOPLE} people in {:?}",
            started.elapsed()
        );
    }
}
