//! What exists only outside the browser: the local file system and direct
//! MariaDB/MySQL connections.

pub mod fs;
pub mod mysql;
