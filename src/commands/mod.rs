//! One module per command. The CLI (`src/main.rs`) and the browser bindings
//! call these; they hold the logic, the front ends only parse and print.

pub mod backup;
pub mod browse;
pub mod cat;
pub mod check;
pub mod diff;
pub mod forget;
pub mod key;
pub mod ls;
pub mod prune;
pub mod restore;
pub mod stats;
