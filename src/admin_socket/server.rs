//! The daemon side: a Unix domain socket, mode 0600 (0660 with a configured
//! group), one task per connection, one JSON request per line.
//!
//! A socket file left by a daemon that died is removed at start, but only
//! when nothing answers on it: a live daemon's socket is never taken over.
//! The file is removed again when the server is dropped.

use crate::admin::api::{ApiError, Reply, Request};
use crate::admin::{Actor, AdminContext, dispatch};
use serde_json::Value;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// A request line longer than this is refused (and the connection closed),
/// so a stuck client cannot make the daemon buffer without end.
pub const MAX_LINE: u64 = 1024 * 1024;

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct SocketOptions {
    pub path: PathBuf,
    /// A group name or number: the socket becomes 0660 and owned by it.
    pub group: Option<String>,
}

/// A bound admin socket.
pub struct AdminSocket {
    listener: UnixListener,
    _file: SocketFile,
}

/// Removes the socket file when the server goes away.
struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl AdminSocket {
    /// Binds the socket (inside a tokio runtime). Refuses when another
    /// process answers on the path or the path is not a socket.
    pub fn bind(options: &SocketOptions) -> Result<AdminSocket, String> {
        let path = &options.path;
        clear_stale(path)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create the admin socket's directory {}: {e}", parent.display()))?;
        }
        // Until the chmod below the socket has the umask's mode; connecting
        // needs write permission, which the usual umasks deny to others.
        let listener =
            UnixListener::bind(path).map_err(|e| format!("cannot create the admin socket {}: {e}", path.display()))?;
        let file = SocketFile(path.clone());
        let mode = match &options.group {
            Some(group) => {
                let gid = resolve_group(group)?;
                std::os::unix::fs::chown(path, None, Some(gid))
                    .map_err(|e| format!("cannot give the admin socket to group {group}: {e}"))?;
                0o660
            }
            None => 0o600,
        };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("cannot set the admin socket's mode: {e}"))?;
        Ok(AdminSocket { listener, _file: file })
    }

    /// Serves until dropped (the daemon aborts the task at shutdown).
    pub async fn serve(self, ctx: AdminContext) {
        loop {
            match self.listener.accept().await {
                Ok((stream, _)) => {
                    let ctx = ctx.clone();
                    tokio::spawn(async move { connection(stream, ctx).await });
                }
                // Out of file descriptors and the like: wait, then go on.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
    }
}

/// Removes a socket file nobody answers on.
fn clear_stale(path: &Path) -> Result<(), String> {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return Ok(()) };
    if !meta.file_type().is_socket() {
        return Err(format!(
            "{} exists and is not a socket; remove it or set admin_socket to another path",
            path.display()
        ));
    }
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(format!(
            "another alpenglow answers on the admin socket {}; stop it, or set admin_socket to another path",
            path.display()
        ));
    }
    std::fs::remove_file(path).map_err(|e| format!("cannot remove the stale admin socket {}: {e}", path.display()))
}

/// A group by number, or by name from /etc/group.
fn resolve_group(group: &str) -> Result<u32, String> {
    if let Ok(gid) = group.parse() {
        return Ok(gid);
    }
    let text = std::fs::read_to_string("/etc/group").unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split(':');
            let name = parts.next()?;
            let gid = parts.nth(1)?.parse().ok()?;
            (name == group).then_some(gid)
        })
        .next()
        .ok_or_else(|| format!("admin_socket_group: no group named {group:?}"))
}

/// One client: requests in order, one answer line each.
async fn connection(stream: UnixStream, ctx: AdminContext) {
    // Who is at the other end, by the kernel's word: the admin trail's actor.
    let actor = match stream.peer_cred() {
        Ok(cred) => Actor::peer(cred.uid(), cred.pid()),
        Err(_) => Actor::unknown_peer(),
    };
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        let read = (&mut reader).take(MAX_LINE + 1).read_line(&mut line).await;
        let answer = match read {
            Ok(0) | Err(_) => return,
            Ok(_) if line.len() as u64 > MAX_LINE => {
                let e = ApiError::invalid(format!("a request line may be at most {MAX_LINE} bytes"));
                let _ = write.write_all(format!("{}\n", line_of(Err(e))).as_bytes()).await;
                return;
            }
            Ok(_) if line.trim().is_empty() => continue,
            Ok(_) => answer(&ctx, &actor, &line).await,
        };
        if write.write_all(format!("{answer}\n").as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The answer to one request line.
async fn answer(ctx: &AdminContext, actor: &Actor, line: &str) -> String {
    let answer = match Request::from_line(line) {
        Ok(request) => dispatch(ctx, actor, request).await,
        Err(e) => Err(e),
    };
    line_of(answer)
}

/// A reply as one line (without the newline).
fn line_of(answer: Result<Value, ApiError>) -> String {
    // A reply of JSON values and strings always serializes.
    serde_json::to_string(&Reply::from(answer)).unwrap_or_default()
}
