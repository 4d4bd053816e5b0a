//! Streaming a stored file into a response: decryption runs on a blocking thread and hands
//! 64 KiB pieces to the response through a small channel, so memory stays flat whatever the
//! file's size and a slow client never holds an actix worker.
//!
//! ```ignore
//! let reader = state.files.open_for(&file_id, FilePurpose::Bundle)?; // on a blocking thread
//! HttpResponse::Ok()
//!     .content_type("application/zip")
//!     .insert_header((header::CONTENT_LENGTH, reader.size()))
//!     .streaming(file_body(reader))
//! ```
//!
//! Every piece is authenticated before it is sent. A piece that fails its check (the file was
//! altered at rest) ends the stream with an error, which aborts the connection: the client
//! sees a cut-off download, never altered bytes.

use std::io::Read;

use actix_web::web::Bytes;
use futures_util::Stream;

use crate::crypto::SEGMENT_LEN;
use crate::service::views::{FileError, FileReader};

/// Pieces decrypted ahead of the client.
const AHEAD: usize = 4;

/// The plaintext of `reader` as a response body stream.
pub fn file_body(mut reader: FileReader) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(AHEAD);
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        loop {
            let mut buf = vec![0u8; SEGMENT_LEN];
            let item = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    Ok(Bytes::from(buf))
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let e = FileError::from(e);
                    tracing::error!(error = %e, "streaming a stored file failed");
                    Err(std::io::Error::other(e.to_string()))
                }
            };
            let failed = item.is_err();
            // The client went away: stop decrypting.
            if tx.blocking_send(item).is_err() || failed {
                break;
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}
