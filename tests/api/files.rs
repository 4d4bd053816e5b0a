//! File storage, encrypted at rest: a directory on a SQLite store, `file_chunks` on PostgreSQL.
//! Round trips at the sizes that matter, tampering of every kind, deletion and the sweep.

use std::io::Write;
use std::path::PathBuf;

use diesel::prelude::*;
use inzage::crypto::{HEADER_LEN, SEGMENT_LEN, TAG_LEN};
use inzage::store::files::{CHUNK_LEN, FileError, FilePurpose, FileStorage};
use inzage::store::schema::{file_chunks, stored_files};

use crate::helpers::{Backend, TestApp, spawn_app};

crate::on_both_backends!(
    files_round_trip_at_every_size,
    tampered_files_do_not_open,
    deleting_and_sweeping_leave_nothing_readable,
);

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 7919) % 253) as u8).collect()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn store(purpose: FilePurpose, files: &FileStorage, plain: &[u8]) -> String {
    let mut w = files.create(purpose).unwrap();
    // Writes of an awkward size, so segment and chunk boundaries fall mid-write.
    for part in plain.chunks(10_007) {
        w.write_all(part).unwrap();
    }
    let id = w.id().to_owned();
    let stored = w.finish().unwrap();
    assert_eq!(stored.id, id);
    assert_eq!(stored.size_bytes, plain.len() as u64);
    id
}

fn read(files: &FileStorage, id: &str) -> Result<Vec<u8>, FileError> {
    let mut r = files.open(id)?;
    let mut out = Vec::new();
    let n = r.copy_to(&mut out)?;
    assert_eq!(n, r.size());
    Ok(out)
}

fn files_dir(app: &TestApp) -> PathBuf {
    app.store.dir.path().join("var").join("files")
}

/// The sealed bytes of a file, wherever the backend keeps them.
async fn sealed(app: &TestApp, backend: Backend, id: &str) -> Vec<u8> {
    match backend {
        Backend::Sqlite => std::fs::read(files_dir(app).join(id)).unwrap(),
        Backend::Postgres => {
            let id = id.to_owned();
            app.with_conn(move |c| {
                file_chunks::table
                    .filter(file_chunks::file_id.eq(id))
                    .order(file_chunks::seq.asc())
                    .select(file_chunks::data)
                    .load::<Vec<u8>>(c)
                    .unwrap()
                    .concat()
            })
            .await
        }
    }
}

/// Replaces a file's sealed bytes (what an attacker with the disk or the database could do).
async fn put_sealed(app: &TestApp, backend: Backend, id: &str, bytes: Vec<u8>) {
    match backend {
        Backend::Sqlite => std::fs::write(files_dir(app).join(id), bytes).unwrap(),
        Backend::Postgres => {
            let id = id.to_owned();
            app.with_conn(move |c| {
                diesel::delete(file_chunks::table.filter(file_chunks::file_id.eq(&id)))
                    .execute(c)
                    .unwrap();
                for (seq, chunk) in bytes.chunks(CHUNK_LEN).enumerate() {
                    diesel::insert_into(file_chunks::table)
                        .values((
                            file_chunks::file_id.eq(&id),
                            file_chunks::seq.eq(seq as i32),
                            file_chunks::data.eq(chunk),
                        ))
                        .execute(c)
                        .unwrap();
                }
            })
            .await
        }
    }
}

async fn files_round_trip_at_every_size(backend: Backend) {
    let Some(app) = spawn_app(backend, "files_round_trip").await else {
        return;
    };
    let files = app.state.files.clone();
    for n in [
        0,
        1,
        5,
        SEGMENT_LEN - 1,
        SEGMENT_LEN,
        SEGMENT_LEN + 1,
        CHUNK_LEN,
        5 * 1024 * 1024 + 333,
    ] {
        let files = files.clone();
        let plain = data(n);
        let (id, back) = blocking(move || {
            let id = store(FilePurpose::Bundle, &files, &plain);
            let back = read(&files, &id).unwrap();
            assert_eq!(back, plain, "size {n}");
            (id, back.len())
        })
        .await;
        assert_eq!(back, n);
        // At rest it is sealed: header, ciphertext and one tag per segment, nothing in clear.
        let at_rest = sealed(&app, backend, &id).await;
        let segments = n.div_ceil(SEGMENT_LEN).max(1);
        assert_eq!(
            at_rest.len(),
            HEADER_LEN + n + segments * TAG_LEN,
            "size {n}"
        );
        if n >= 64 {
            let probe = &data(n)[..64];
            assert!(
                !at_rest.windows(64).any(|w| w == probe),
                "plaintext visible at rest"
            );
        }
    }
    if backend == Backend::Sqlite {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(files_dir(&app)).unwrap() {
            let mode = entry.unwrap().metadata().unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "files are the owner's only");
        }
    }
    // An ID copy opens for its purpose only.
    let f = files.clone();
    blocking(move || {
        let id = store(FilePurpose::IdDocument, &f, b"%PDF-1.7 a copy");
        assert!(f.open_for(&id, FilePurpose::IdDocument).is_ok());
        assert!(matches!(
            f.open_for(&id, FilePurpose::Bundle),
            Err(FileError::NotFound)
        ));
        assert!(matches!(
            f.open("../../etc/passwd"),
            Err(FileError::NotFound)
        ));
        assert!(matches!(
            f.open(&uuid::Uuid::new_v4().to_string()),
            Err(FileError::NotFound)
        ));
    })
    .await;
}

async fn tampered_files_do_not_open(backend: Backend) {
    let Some(app) = spawn_app(backend, "files_tampered").await else {
        return;
    };
    let files = app.state.files.clone();
    let n = 3 * SEGMENT_LEN + 100;
    let (a, b) = {
        let f = files.clone();
        blocking(move || {
            (
                store(FilePurpose::Bundle, &f, &data(n)),
                store(FilePurpose::Bundle, &f, &data(n)),
            )
        })
        .await
    };
    let original = sealed(&app, backend, &a).await;
    let tampered =
        |files: FileStorage, id: String| async move { blocking(move || read(&files, &id)).await };

    // One flipped byte: in the header, the first segment, a middle one, the last tag.
    for at in [
        6,
        HEADER_LEN + 10,
        HEADER_LEN + 2 * (SEGMENT_LEN + TAG_LEN) + 5,
        original.len() - 1,
    ] {
        let mut bad = original.clone();
        bad[at] ^= 0x01;
        put_sealed(&app, backend, &a, bad).await;
        let r = tampered(files.clone(), a.clone()).await;
        assert!(matches!(r, Err(FileError::Tampered)), "byte {at}: {r:?}");
    }
    // Truncated: at a segment boundary, mid-segment, to the header alone.
    for cut in [
        HEADER_LEN + 2 * (SEGMENT_LEN + TAG_LEN),
        original.len() - 50,
        HEADER_LEN,
    ] {
        put_sealed(&app, backend, &a, original[..cut].to_vec()).await;
        let r = tampered(files.clone(), a.clone()).await;
        assert!(matches!(r, Err(FileError::Tampered)), "cut {cut}: {r:?}");
    }
    // Swapped: file b's bytes under a's id (same size, same purpose, same master key).
    let other = sealed(&app, backend, &b).await;
    put_sealed(&app, backend, &a, other).await;
    let r = tampered(files.clone(), a.clone()).await;
    assert!(matches!(r, Err(FileError::Tampered)), "swap: {r:?}");

    // Restored, it opens again; with its row claiming another purpose it does not.
    put_sealed(&app, backend, &a, original).await;
    assert_eq!(tampered(files.clone(), a.clone()).await.unwrap(), data(n));
    let id = a.clone();
    app.with_conn(move |c| {
        diesel::update(stored_files::table.find(&id))
            .set(stored_files::purpose.eq("id_document"))
            .execute(c)
            .unwrap();
    })
    .await;
    let r = tampered(files.clone(), a.clone()).await;
    assert!(matches!(r, Err(FileError::Tampered)), "purpose: {r:?}");

    // Another master secret: nothing opens.
    let foreign = FileStorage::new(
        app.state.db.clone(),
        &files_dir(&app),
        b"another secret, also at least 32 characters",
    );
    let r = blocking(move || read(&foreign, &b)).await;
    assert!(matches!(r, Err(FileError::Tampered)), "other key: {r:?}");
}

async fn count(app: &TestApp) -> (i64, i64) {
    app.with_conn(|c| {
        let rows: i64 = stored_files::table.count().get_result(c).unwrap();
        let chunks: i64 = file_chunks::table.count().get_result(c).unwrap();
        (rows, chunks)
    })
    .await
}

async fn deleting_and_sweeping_leave_nothing_readable(backend: Backend) {
    let Some(app) = spawn_app(backend, "files_delete").await else {
        return;
    };
    let files = app.state.files.clone();
    let dir = files_dir(&app);

    // delete: row, chunks and bytes go; deleting again is fine.
    let f = files.clone();
    let id = blocking(move || store(FilePurpose::Bundle, &f, &data(2 * CHUNK_LEN + 1))).await;
    let (f, i) = (files.clone(), id.clone());
    blocking(move || {
        f.delete(&i).unwrap();
        f.delete(&i).unwrap();
        assert!(matches!(f.open(&i), Err(FileError::NotFound)));
        assert!(!f.exists(&i).unwrap());
    })
    .await;
    assert_eq!(count(&app).await, (0, 0));
    assert!(!dir.join(&id).exists());

    // A writer dropped unfinished removes itself.
    let f = files.clone();
    blocking(move || {
        let mut w = f.create(FilePurpose::Bundle).unwrap();
        w.write_all(&data(CHUNK_LEN + 10)).unwrap();
    })
    .await;
    assert_eq!(count(&app).await, (0, 0));

    // A writer that never finished (the process died): not readable, swept after its time.
    let f = files.clone();
    let crashed = blocking(move || {
        let mut w = f.create(FilePurpose::Bundle).unwrap();
        w.write_all(&data(CHUNK_LEN + 10)).unwrap();
        let id = w.id().to_owned();
        std::mem::forget(w);
        assert!(matches!(f.open(&id), Err(FileError::NotFound)));
        let report = f
            .sweep(inzage::store::now() - chrono::Duration::hours(1))
            .unwrap();
        assert_eq!(report.incomplete, 0, "too young to sweep");
        let report = f
            .sweep(inzage::store::now() + chrono::Duration::seconds(1))
            .unwrap();
        assert_eq!(report.incomplete, 1);
        id
    })
    .await;
    assert_eq!(count(&app).await, (0, 0));
    assert!(!dir.join(format!(".{crashed}.tmp")).exists());

    // Forgotten in a transaction that commits, with a crash before the bytes were removed:
    // unreadable at once (the key's salt is gone), and the sweep removes the bytes.
    let f = files.clone();
    let id = blocking(move || store(FilePurpose::IdDocument, &f, &data(1000))).await;
    let i = id.clone();
    app.with_conn(move |c| {
        inzage::store::write_tx(c, |c| FileStorage::forget_in(c, &i)).unwrap();
    })
    .await;
    let (f, i) = (files.clone(), id.clone());
    blocking(move || {
        assert!(matches!(f.open(&i), Err(FileError::NotFound)));
        let report = f.sweep(inzage::store::now()).unwrap();
        assert_eq!(
            report.orphans,
            usize::from(backend == Backend::Sqlite),
            "{report:?}"
        );
    })
    .await;
    assert!(!dir.join(&id).exists());
    assert_eq!(count(&app).await, (0, 0));
}

/// Peak resident memory of this process, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// 200 MB through the storage and back on both backends while peak memory stays flat. Slow
/// and memory-sensitive, so run alone:
/// `cargo test --test api -- --ignored --test-threads=1 a_large_file_streams_in_flat_memory`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow; run alone to measure memory"]
async fn a_large_file_streams_in_flat_memory() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app(backend, "files_large").await else {
            continue;
        };
        let files = app.state.files.clone();
        let (before, after, size) = blocking(move || {
            let piece = data(1024 * 1024);
            let before = peak_rss_kib();
            let mut w = files.create(FilePurpose::Bundle).unwrap();
            for _ in 0..200 {
                w.write_all(&piece).unwrap();
            }
            let stored = w.finish().unwrap();
            let mut r = files.open(&stored.id).unwrap();
            let n = r.copy_to(&mut std::io::sink()).unwrap();
            files.delete(&stored.id).unwrap();
            (before, peak_rss_kib(), n)
        })
        .await;
        assert_eq!(size, 200 * 1024 * 1024);
        let grew_mib = (after.saturating_sub(before)) / 1024;
        eprintln!("{backend:?}: peak RSS grew by {grew_mib} MiB for a 200 MiB file");
        assert!(grew_mib < 32, "{backend:?}: memory grew by {grew_mib} MiB");
    }
}
