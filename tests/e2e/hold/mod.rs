//! Holding under abuse and faults, through real sockets and processes: a
//! full disk under the data directory, slow and idle connections, batch
//! amplification, the error contract, and the sandbox where it must match
//! Odoo (the sandbox part is `tests/inproc/sandbox_odoo.rs`). One module per
//! kind of fault.

mod batch;
mod connections;
mod contract;
mod disk_full;
