//! The zip on a thread of its own: compressing (and, in the file storage, encrypting) the
//! bundle is about half of the work, reading and rendering the rows the other half, so the
//! two run side by side. [`ZipPipe`] is what the bundle writer writes to: it batches bytes
//! into chunks and hands them, with "start an entry" and "finish", over a bounded channel
//! (memory stays flat: at most [`DEPTH`] chunks wait).

use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use super::writer::Hashing;

/// Bytes per chunk sent to the zip thread.
const CHUNK: usize = 128 * 1024;
/// Chunks that may wait for the zip thread.
const DEPTH: usize = 8;

enum Command {
    Start(String),
    Data(Vec<u8>),
}

/// The finished zip: the output, its SHA-256 (hex) and its size.
type Finished<W> = (W, String, u64);

fn zip_error(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

fn run<W: Write>(
    out: W,
    options: SimpleFileOptions,
    commands: &Receiver<Command>,
    finish: &Receiver<()>,
) -> io::Result<Finished<W>> {
    let mut zip = ZipWriter::new_stream(Hashing::new(out));
    while let Ok(command) = commands.recv() {
        match command {
            Command::Start(name) => zip.start_file(name, options).map_err(zip_error)?,
            Command::Data(bytes) => zip.write_all(&bytes)?,
        }
    }
    // The sender is gone: finished on purpose, or dropped half-way (then the zip is not
    // completed, and a file storage writer dropped unfinished is never readable).
    if finish.try_recv().is_err() {
        return Err(io::Error::other(
            "the bundle was abandoned before it was finished",
        ));
    }
    Ok(zip.finish().map_err(zip_error)?.into_inner().into_parts())
}

/// The writing end; see the module docs.
pub struct ZipPipe<W: Write + Send + 'static> {
    commands: Option<SyncSender<Command>>,
    finish: SyncSender<()>,
    thread: Option<JoinHandle<io::Result<Finished<W>>>>,
    buf: Vec<u8>,
}

impl<W: Write + Send + 'static> ZipPipe<W> {
    pub fn new(out: W, options: SimpleFileOptions) -> io::Result<Self> {
        let (commands, rx) = sync_channel(DEPTH);
        let (finish, finish_rx) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("bundle-zip".to_owned())
            .spawn(move || run(out, options, &rx, &finish_rx))?;
        Ok(Self {
            commands: Some(commands),
            finish,
            thread: Some(thread),
            buf: Vec::with_capacity(CHUNK),
        })
    }

    /// The zip thread's own error, once it stopped taking commands.
    fn stopped(&mut self) -> io::Error {
        self.commands = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => e,
            Some(Err(_)) => io::Error::other("the zip writer panicked"),
            _ => io::Error::other("the zip writer stopped"),
        }
    }

    fn send(&mut self, command: Command) -> io::Result<()> {
        let sent = match &self.commands {
            Some(tx) => tx.send(command).is_ok(),
            None => false,
        };
        if sent { Ok(()) } else { Err(self.stopped()) }
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.send(Command::Data(chunk))
    }

    /// Starts the next entry of the zip.
    pub fn start_file(&mut self, name: &str) -> io::Result<()> {
        self.flush_buf()?;
        self.send(Command::Start(name.to_owned()))
    }

    /// Closes the zip and hands back the output, the zip's SHA-256 and its size.
    pub fn finish(mut self) -> io::Result<Finished<W>> {
        self.flush_buf()?;
        let _ = self.finish.send(());
        self.commands = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the zip writer panicked")),
            None => Err(io::Error::other("the zip writer stopped")),
        }
    }
}

impl<W: Write + Send + 'static> Write for ZipPipe<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush_buf()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
