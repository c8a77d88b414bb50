//! Running the real binary with text on its stdin.

use std::io::{ErrorKind, Write};
use std::process::{Command, Output, Stdio};

/// Runs `command` with `stdin` piped in and waits for it. A process that exits
/// before reading its input (a refused argument, say) closes the pipe; that is
/// its answer, not a test failure, so a broken pipe is ignored.
pub fn run_with_stdin(command: &mut Command, stdin: &str) -> Output {
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    if let Err(error) = pipe.write_all(stdin.as_bytes())
        && error.kind() != ErrorKind::BrokenPipe
    {
        panic!("writing the child's stdin: {error}");
    }
    drop(pipe);
    child.wait_with_output().expect("child output")
}
