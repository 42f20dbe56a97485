//! Errors the emulator reports to its caller (not to HTTP clients: those get Bedrock-shaped
//! errors from `api_error`). Every variant says what failed and carries its cause.

use std::net::SocketAddr;

use crate::behaviour::InvalidBehaviour;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The bound socket could not report its own address.
    #[error("cannot read the listening socket's address: {0}")]
    LocalAddr(#[source] std::io::Error),
    /// The configured [`crate::Behaviour`] is not usable.
    #[error(transparent)]
    InvalidBehaviour(#[from] InvalidBehaviour),
}
