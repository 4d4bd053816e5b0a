//! The command line: commands, output and exit codes (0 done, 1 runtime, 2 usage/input).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::{Backend, Store, fresh_store, test_env};

crate::on_both_backends!(cli_commands_and_exit_codes);

struct Cli<'a> {
    store: &'a Store,
}

impl Cli<'_> {
    fn run(&self, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_inzage"));
        cmd.args(args)
            .envs(test_env(self.store, &[]))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run inzage");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = out.status.signal() {
            panic!(
                "inzage {args:?} died of signal {sig}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

async fn cli_commands_and_exit_codes(backend: Backend) {
    let Some(store) = fresh_store(backend, "cli") else {
        return;
    };
    tokio::task::spawn_blocking(move || {
        let cli = Cli { store: &store };
        let (code, _, err) = cli.run(&["migrate"], None);
        assert_eq!(code, 0, "{err}");
        let add = [
            "tenant",
            "add",
            "--slug",
            "acme",
            "--name",
            "Acme BV",
            "--contact-email",
            "privacy@acme.nl",
            "--language",
            "en",
        ];
        let (code, out, err) = cli.run(&add, None);
        assert_eq!((code, out.trim()), (0, "acme"), "{err}");
        let (code, _, err) = cli.run(&add, None);
        assert_eq!(code, 2, "a taken slug is invalid input: {err}");
        // A public body: its subjects are told of bezwaar (UAVG art. 34); a sector that does
        // not exist is bad usage.
        let public = [
            "tenant",
            "add",
            "--slug",
            "gemeente",
            "--name",
            "Gemeente Demo",
            "--contact-email",
            "privacy@gemeente.example.nl",
            "--sector",
            "public",
        ];
        let (code, out, err) = cli.run(&public, None);
        assert_eq!((code, out.trim()), (0, "gemeente"), "{err}");
        let mut odd = public;
        odd[3] = "raar";
        odd[9] = "semi";
        let (code, _, err) = cli.run(&odd, None);
        assert_eq!(code, 2, "an unknown sector is invalid input: {err}");

        let user = [
            "user",
            "add",
            "--email",
            "ctl@acme.nl",
            "--role",
            "controller",
            "--tenant",
            "acme",
            "--password-stdin",
        ];
        let (code, _, err) = cli.run(&user, Some("a long enough password\n"));
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = cli.run(
            &[
                "user",
                "add",
                "--email",
                "c2@acme.nl",
                "--role",
                "controller",
                "--password-stdin",
            ],
            Some("a long enough password\n"),
        );
        assert_eq!(code, 2, "a controller needs a tenant: {err}");
        let (code, _, err) = cli.run(
            &["user", "add", "--email", "s@acme.nl", "--role", "support"],
            None,
        );
        assert_eq!(code, 2, "the password only from stdin: {err}");
        let (code, _, _) = cli.run(
            &[
                "user",
                "add",
                "--email",
                "s@acme.nl",
                "--role",
                "support",
                "--password-stdin",
            ],
            Some("short\n"),
        );
        assert_eq!(code, 2);
        let (code, _, _) = cli.run(
            &[
                "user",
                "add",
                "--email",
                "s@acme.nl",
                "--role",
                "king",
                "--password-stdin",
            ],
            Some("x"),
        );
        assert_eq!(code, 2);

        let (code, out, err) = cli.run(&["requests", "list", "--json"], None);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["total"], 0);
        let (code, out, _) = cli.run(&["requests", "list", "--tenant", "acme", "--overdue"], None);
        assert_eq!(code, 0);
        assert!(out.starts_with("REFERENCE"));
        let (code, _, _) = cli.run(&["requests", "list", "--status", "lost"], None);
        assert_eq!(code, 2);

        let (code, _, _) = cli.run(&["frobnicate"], None);
        assert_eq!(code, 2);
        let (code, out, _) = cli.run(&["--help"], None);
        assert_eq!(code, 0);
        assert!(out.contains("serve"));
    })
    .await
    .unwrap();
}

#[test]
fn an_unreachable_store_is_a_runtime_failure() {
    let out = Command::new(env!("CARGO_BIN_EXE_inzage"))
        .args(["migrate"])
        .env("INZAGE_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("INZAGE_SECRET_KEY", crate::helpers::SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("inzage: ") && !err.contains("panicked"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_inzage"))
        .args(["migrate"])
        .env("INZAGE_DATABASE_URL", "mysql://x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a bad setting is bad input");
}
