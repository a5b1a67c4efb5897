//! Progress bars on standard error (hidden with --quiet, --json or no TTY).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use strongbox::progress::{Phase, Progress};

/// A bar showing bytes, rate and the current item; Ctrl-C sets `cancel`.
pub struct Bar {
    bar: ProgressBar,
    cancel: Arc<AtomicBool>,
}

impl Bar {
    pub fn new(visible: bool, cancel: Arc<AtomicBool>) -> Bar {
        let bar = ProgressBar::with_draw_target(
            None,
            if visible {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {prefix:>8} {bytes:>10} {binary_bytes_per_sec:>12}  {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Bar { bar, cancel }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn item(&self, phase: Phase, name: &str, _done: u64, _total: u64) {
        self.bar.set_prefix(phase.label());
        self.bar.set_message(name.to_string());
    }

    fn bytes(&self, _phase: Phase, n: u64) {
        self.bar.inc(n);
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}
