//! The `strongbox` command-line program: unattended backups and recovery
//! when the site itself is gone. Thin: it parses arguments, opens the
//! repository and prints; the work is in `strongbox::commands`.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}
