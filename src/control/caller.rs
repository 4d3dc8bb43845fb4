//! Who is asking: the identity every control request carries, learned from the
//! socket's peer credentials or, in-process, from this process itself.

use nix::unistd::{geteuid, Uid, User};

/// The person behind a request, by Unix account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub uid: u32,
    /// The account name, or the uid in digits when the account has no name.
    pub name: String,
}

impl Caller {
    /// The account with this uid, its name looked up in the system's user
    /// database.
    pub fn from_uid(uid: u32) -> Caller {
        let name = User::from_uid(Uid::from_raw(uid))
            .ok()
            .flatten()
            .map(|user| user.name)
            .unwrap_or_else(|| uid.to_string());
        Caller { uid, name }
    }

    /// The account this process runs as (its effective uid): the caller of
    /// the all-in-one console and of the CLI working on the store directly.
    pub fn this_process() -> Caller {
        Caller::from_uid(geteuid().as_raw())
    }
}
