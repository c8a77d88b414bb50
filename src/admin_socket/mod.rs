//! The admin API's transport: newline-delimited JSON over a Unix domain
//! socket served by the daemon ([`server`]), and [`AdminClient`], the one
//! client of the CLI, the dashboard and `doctor`: the daemon's socket when
//! one answers, else the admin service in this process over the store.
//!
//! What travels is [`crate::admin::api`]: one [`Request`] per line in, one
//! [`Reply`] per line out, in order. Every operation is the admin service's
//! ([`crate::admin::dispatch`]); this module only carries lines.
//!
//! The socket is the only way to reach admin operations of a running daemon:
//! the network listener (`faces`) has no admin route. Access is the file mode
//! (0600, or 0660 with a configured group).
//!
//! [`Request`]: crate::admin::api::Request
//! [`Reply`]: crate::admin::api::Reply

pub mod client;
pub mod server;

pub use client::{AdminClient, Lost, SocketClient, daemon_answers};
