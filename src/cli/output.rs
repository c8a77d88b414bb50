//! How the CLI reports: one-line errors with exit codes, and text tables.

use std::process::ExitCode;

/// A failed command. `Invalid` is the caller's input (exit 2); `Failed` is
/// everything else (exit 1).
#[derive(Debug)]
pub enum CliError {
    Invalid(String),
    Failed(String),
}

impl CliError {
    pub fn report(self) -> ExitCode {
        let (message, code) = match self {
            CliError::Invalid(m) => (m, 2),
            CliError::Failed(m) => (m, 1),
        };
        eprintln!("alpenglow: {}", one_line(&message));
        ExitCode::from(code)
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// clap's own errors are several lines; scripts and people want one. Help and
/// version output are printed in full.
pub fn clap_failure(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            let rendered = e.render().to_string();
            let first = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
            let first = first.trim().trim_start_matches("error: ");
            eprintln!("alpenglow: {first} (see --help)");
            ExitCode::from(2)
        }
    }
}

/// Prints rows as left-aligned columns under a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> =
            cells.iter().enumerate().map(|(i, c)| format!("{c:<width$}", width = widths[i])).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// Prints one value as JSON on one line.
pub fn json(value: &impl serde::Serialize) {
    // Answers of the admin API always serialize.
    println!("{}", serde_json::to_string(value).unwrap_or_default());
}
