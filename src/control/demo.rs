//! The demo office: a believable small firm to explore switchboard with,
//! loaded by `switchboard demo` or from the console's first screen.
//!
//! Mobile numbers are in the French range set aside for fiction
//! (+33 6 39 98 …), outgoing numbers in the one set aside for films and
//! broadcasting (+33 1 99 00 …), and addresses use example.com, so none of
//! them reaches a real person.

use crate::config::validate::generate_sip_password;
use crate::config::User;

/// Extension, name, mailbox, GSM, voicemail, outgoing number, several calls.
type Row = (&'static str, &'static str, &'static str, &'static str, bool, &'static str, bool);

const OFFICE: [Row; 10] = [
    ("1001", "Camille Martin", "camille.martin", "+33639980101", true, "+33199001000", true),
    ("1002", "Julien Bernard", "julien.bernard", "+33639980102", true, "+33199001002", false),
    ("1003", "Sophie Leroy", "sophie.leroy", "+33639980103", true, "+33199001003", false),
    ("1004", "Thomas Petit", "thomas.petit", "", true, "+33199001000", false),
    ("1005", "Claire Dubois", "claire.dubois", "+33639980105", true, "+33199001005", false),
    ("1006", "Nicolas Moreau", "nicolas.moreau", "+33639980106", false, "+33199001000", false),
    ("1007", "Émilie Laurent", "emilie.laurent", "", true, "+33199001000", false),
    ("1008", "Antoine Girard", "antoine.girard", "+33639980108", true, "+33199001008", false),
    ("201", "Meeting room", "", "", false, "+33199001000", false),
    ("202", "Warehouse", "", "", false, "+33199001000", true),
];

/// The demo office's users, each with a freshly generated SIP password.
pub(super) fn office() -> Vec<User> {
    let optional = |value: &str| (!value.is_empty()).then(|| value.to_string());
    OFFICE
        .iter()
        .map(|&(extension, name, mailbox, gsm, voicemail, outgoing, several)| User {
            extension: extension.to_string(),
            name: name.to_string(),
            email: optional(mailbox).map(|mailbox| format!("{mailbox}@example.com")),
            gsm: optional(gsm),
            voicemail,
            outgoing_number: optional(outgoing),
            multiple_calls: several,
            sip_password: generate_sip_password(),
            ..User::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::validate::validate_user;

    #[test]
    fn every_demo_user_follows_the_rules_with_a_password_of_their_own() {
        let users = office();
        for user in &users {
            assert_eq!(validate_user(user), Ok(()), "user {}", user.extension);
        }
        let passwords: std::collections::BTreeSet<_> =
            users.iter().map(|u| u.sip_password.as_str()).collect();
        assert_eq!(passwords.len(), users.len());
    }
}
