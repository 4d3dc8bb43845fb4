//! Starting the PBX: alone as a daemon, or together with the console.

use color_eyre::eyre::{eyre, Result};

use crate::cli::{AllInOneOptions, ServeOptions};

/// `switchboard`: the PBX and the console together in this terminal.
pub fn all_in_one(_options: AllInOneOptions) -> Result<()> {
    Err(eyre!("the PBX is not available in this build"))
}

/// `switchboard serve`: the PBX alone, until it is told to stop.
pub fn serve(_options: ServeOptions) -> Result<()> {
    Err(eyre!("the PBX is not available in this build"))
}
