//! Helpers shared by several test binaries of this directory (each includes it with
//! `mod support;`).

pub mod events;
pub mod log;
pub mod mock;
