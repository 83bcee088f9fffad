//! Progress output: nothing on stderr unless asked for when it is not a terminal (as
//! here, and in CI), and step times with `REPRISE_TIMINGS=1`.

use std::process::Command;

use crate::util::{repo, stderr};

fn check(timings: bool) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reprise"));
    cmd.args(["check", "tests/studies/veteran.yaml"])
        .current_dir(repo())
        .env_remove("REPRISE_TIMINGS");
    if timings {
        cmd.env("REPRISE_TIMINGS", "1");
    }
    let out = cmd.output().expect("run reprise");
    assert!(out.status.success(), "{}", stderr(&out));
    stderr(&out)
}

#[test]
fn a_pipe_gets_no_progress_and_timings_come_on_request() {
    let quiet = check(false);
    assert!(!quiet.contains("timing:"), "{quiet}");
    // no spinner: no carriage returns or terminal escapes
    assert!(
        !quiet.contains('\r') && !quiet.contains('\x1b'),
        "{quiet:?}"
    );

    let timed = check(true);
    for step in [
        "reading ../data/veteran.csv",
        "analysis km_trt",
        "running the analyses",
    ] {
        assert!(
            timed
                .lines()
                .any(|l| l.starts_with("timing: ") && l.contains(step)),
            "no timing for `{step}` in:\n{timed}"
        );
    }
}
