//! Charts: [`plot`] draws every SVG lrtrain writes (a pure function from data to bytes), and
//! [`curves`] lays out a run's `curves.svg` from its epoch rows.

pub mod curves;
pub mod plot;
