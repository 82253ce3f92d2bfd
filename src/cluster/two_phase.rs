//! two_phase: being written (see the mechanism contract in ARCHITECTURE.md).
