//! cdn: being written (see the mechanism contract in ARCHITECTURE.md).
