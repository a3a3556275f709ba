//! The `leadmagnet` binary. Run with `leadmagnet serve --demo` (or `make demo`).
//! Everything it does lives in the library; this only hands over the process exit code.

fn main() -> std::process::ExitCode {
    leadmagnet_server::cli::main()
}
