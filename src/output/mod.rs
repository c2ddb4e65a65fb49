//! The run directory and what is written into it.
