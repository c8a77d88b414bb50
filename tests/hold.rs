//! Holding under abuse and faults, through real sockets and processes: a
//! full disk under the data directory, slow and idle connections, batch
//! amplification, the error contract, and the sandbox where it must match
//! Odoo. One test binary; one module per kind of fault.

#[path = "common/demo_at.rs"]
mod demo_at;
#[path = "common/http.rs"]
mod http;
#[path = "common/inproc.rs"]
mod inproc;
#[path = "common/serve.rs"]
mod serve;

#[path = "hold/batch.rs"]
mod batch;
#[path = "hold/connections.rs"]
mod connections;
#[path = "hold/contract.rs"]
mod contract;
#[path = "hold/disk_full.rs"]
mod disk_full;
#[path = "hold/sandbox_odoo.rs"]
mod sandbox_odoo;
