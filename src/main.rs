//! The `alpenglow` binary: everything lives in the library; see `cli`.

fn main() -> std::process::ExitCode {
    alpenglow::cli::run()
}
