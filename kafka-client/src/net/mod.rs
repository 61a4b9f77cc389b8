//! stub
pub mod sasl;
