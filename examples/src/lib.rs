//! Runnable examples of the SDK live in `src/bin/`; this library holds what they share.
