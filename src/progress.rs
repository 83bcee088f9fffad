//! Progress for steps that take a while: a spinner on a terminal once a step has run for
//! a second, nothing when output goes to a file, a pipe or CI. With `REPRISE_TIMINGS=1`
//! every step also prints its wall time on stderr, which is how the benchmark's numbers
//! are read off the real command.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running step; its spinner (if any) goes away when it is dropped.
pub struct Step {
    what: String,
    start: Instant,
    done: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

/// Whether a spinner may be drawn: stderr is a terminal and this is not a CI run.
fn interactive() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

pub fn step(what: impl Into<String>) -> Step {
    start(what.into(), interactive())
}

/// A step that is only timed, never drawn: one of several running side by side.
pub fn timed(what: impl Into<String>) -> Step {
    start(what.into(), false)
}

fn start(what: String, spinner: bool) -> Step {
    let done = Arc::new(AtomicBool::new(false));
    let watcher = spinner.then(|| {
        let (what, done) = (what.clone(), done.clone());
        std::thread::spawn(move || {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(1) {
                if done.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let bar = indicatif::ProgressBar::new_spinner()
                .with_message(what)
                .with_elapsed(start.elapsed());
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            {
                bar.set_style(style);
            }
            while !done.load(Ordering::Relaxed) {
                bar.tick();
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        })
    });
    Step {
        what,
        start: Instant::now(),
        done,
        watcher,
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(w) = self.watcher.take() {
            let _ = w.join();
        }
        if std::env::var_os("REPRISE_TIMINGS").is_some_and(|v| v != "0") {
            eprintln!(
                "timing: {:<32} {:>8.3} s",
                self.what,
                self.start.elapsed().as_secs_f64()
            );
        }
    }
}
