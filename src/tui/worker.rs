//! The dashboard's only link to the daemon: a thread that owns the socket
//! connection, takes requests from the UI and hands answers back, so drawing
//! and keys never wait on the daemon or on Odoo.

use super::app::{Reply, Request};
use crate::admin_socket::{AdminApi, ApiError};
use std::sync::mpsc::{Receiver, Sender, channel};

/// The UI's end: send requests, collect answers without blocking.
pub struct Worker {
    requests: Sender<Request>,
    replies: Receiver<Reply>,
}

impl Worker {
    /// Starts the thread over `api` (the socket client in the real dashboard).
    pub fn start(api: Box<dyn AdminApi + Send>) -> Worker {
        let (requests, inbox) = channel::<Request>();
        let (outbox, replies) = channel::<Reply>();
        std::thread::spawn(move || {
            for request in inbox {
                let result = api.call(&request.op, request.args);
                if outbox.send(Reply { tag: request.tag, result }).is_err() {
                    return;
                }
            }
        });
        Worker { requests, replies }
    }

    pub fn send(&self, request: Request) -> Result<(), ApiError> {
        self.requests.send(request).map_err(|_| ApiError::failed("the connection to the daemon is gone"))
    }

    /// Answers that have arrived, oldest first.
    pub fn ready(&self) -> Vec<Reply> {
        self.replies.try_iter().collect()
    }
}
