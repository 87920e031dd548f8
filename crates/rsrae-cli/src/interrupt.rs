//! Ctrl-C handling: exit at once, except inside a guarded section such as training or an
//! output file being written, which sees the request and stops cleanly instead.
//!
//! Outside a guarded section nothing is half-written, so exiting at once with code 130 is
//! safe. Inside one, the first Ctrl-C sets a flag: training stops at its next step, and an
//! output writer fails its next write, so its temporary file is removed. A second Ctrl-C
//! exits at once.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT).
pub const EXIT_CODE: i32 = 130;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static GUARDS: AtomicUsize = AtomicUsize::new(0);

/// The error of a run stopped by Ctrl-C.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted by Ctrl-C")
    }
}

impl std::error::Error for Interrupted {}

/// Installs the Ctrl-C handler for the whole process.
pub fn install() {
    // Only a second installation can fail, and the first one keeps working.
    let _ = ctrlc::set_handler(on_interrupt);
}

fn on_interrupt() {
    let guarded = GUARDS.load(Ordering::SeqCst) > 0;
    let repeated = REQUESTED.swap(true, Ordering::SeqCst);
    if !guarded || repeated {
        // NOTE: a guard taken between the load above and this exit does not delay it, so a
        // temporary file created in that instant can stay behind.
        eprintln!("rsrae: interrupted by Ctrl-C");
        std::process::exit(EXIT_CODE);
    }
}

/// Whether Ctrl-C was pressed during a guarded section.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Returns [`Interrupted`] once Ctrl-C was pressed during a guarded section.
pub fn check() -> Result<(), Interrupted> {
    if requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// A section in which Ctrl-C only sets the flag; it ends when the guard is dropped.
#[must_use = "the section ends when the guard is dropped"]
pub struct Guard(());

/// Starts a guarded section.
pub fn guard() -> Guard {
    GUARDS.fetch_add(1, Ordering::SeqCst);
    Guard(())
}

impl Drop for Guard {
    fn drop(&mut self) {
        GUARDS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A writer that fails every write once Ctrl-C was pressed.
pub struct InterruptibleWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for InterruptibleWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if requested() {
            return Err(std::io::Error::other(Interrupted));
        }
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
