use proptest::prelude::*;

use super::*;
use crate::config::{Config, Settings};

fn user(extension: &str, password: &str) -> User {
    User {
        extension: extension.to_string(),
        name: "Anne Martin".to_string(),
        email: Some("anne@example.com".to_string()),
        gsm: Some("+33612345678".to_string()),
        voicemail: true,
        outgoing_number: None,
        multiple_calls: false,
        sip_password: password.to_string(),
        ..User::default()
    }
}

fn config(users: Vec<User>) -> Config {
    Config {
        settings: Settings { domain: "pbx.example.com".to_string(), proxy: String::new() },
        users: users.into_iter().map(|u| (u.extension.clone(), u)).collect(),
        ..Config::default()
    }
}

#[test]
fn extensions_of_two_to_eight_digits_are_accepted() {
    for ok in ["10", "1003", "12345678", " 201 "] {
        assert_eq!(check_extension(ok), Ok(ok.trim().to_string()));
    }
}

#[test]
fn extensions_too_short_too_long_or_not_digits_are_refused() {
    for bad in ["", "1", "123456789", "10a", "+100", "1 0", "１２３"] {
        assert_eq!(check_extension(bad), Err(ValidationError::ExtensionFormat), "{bad:?}");
    }
    assert_eq!(ValidationError::ExtensionFormat.to_string(), "extension must be 2 to 8 digits");
}

#[test]
fn names_are_trimmed_and_must_not_be_empty() {
    assert_eq!(check_name("  Anne Martin "), Ok("Anne Martin".to_string()));
    assert_eq!(check_name("Émilie Laurent"), Ok("Émilie Laurent".to_string()));
    assert_eq!(check_name("   "), Err(ValidationError::NameEmpty));
}

#[test]
fn names_with_control_characters_or_too_long_are_refused() {
    assert_eq!(check_name("Anne\u{7}"), Err(ValidationError::NameControlCharacter));
    assert_eq!(check_name("Anne\nMartin"), Err(ValidationError::NameControlCharacter));
    assert_eq!(check_name(&"é".repeat(NAME_MAX_CHARS)).map(|n| n.chars().count()), Ok(64));
    assert_eq!(check_name(&"a".repeat(NAME_MAX_CHARS + 1)), Err(ValidationError::NameTooLong));
}

#[test]
fn plausible_emails_are_accepted_and_empty_means_none() {
    assert_eq!(check_email(""), Ok(None));
    assert_eq!(check_email("  "), Ok(None));
    for ok in ["anne@example.com", "anne.martin+pbx@mail.example.co.uk", "a@b-c.io"] {
        assert_eq!(check_email(ok), Ok(Some(ok.to_string())));
    }
}

#[test]
fn implausible_emails_are_refused() {
    for bad in [
        "anne",
        "anne@",
        "@example.com",
        "anne@example",
        "anne@@example.com",
        "anne@exa mple.com",
        "an ne@example.com",
        "anne@-example.com",
        "anne@example..com",
        "anne@example.123",
    ] {
        assert_eq!(check_email(bad), Err(ValidationError::EmailFormat), "{bad:?}");
    }
}

#[test]
fn international_numbers_are_accepted_with_separators_removed() {
    assert_eq!(check_number(Field::Gsm, "+33612345678"), Ok(Some("+33612345678".to_string())));
    assert_eq!(check_number(Field::Gsm, "+33 6 12-34.56 78"), Ok(Some("+33612345678".to_string())));
    assert_eq!(check_number(Field::Gsm, "+1 (212) 555-0100"), Ok(Some("+12125550100".into())));
    assert_eq!(check_number(Field::Gsm, ""), Ok(None));
}

#[test]
fn a_gsm_without_country_code_is_refused_with_a_plain_reason() {
    let error = check_number(Field::Gsm, "0612345678").unwrap_err();
    assert_eq!(error, ValidationError::NumberWithoutCountryCode { field: Field::Gsm });
    assert!(error.to_string().starts_with("GSM number needs the country code"), "{error}");
    assert_eq!(
        check_number(Field::OutgoingNumber, "0033612345678"),
        Err(ValidationError::NumberWithDoubleZero { field: Field::OutgoingNumber })
    );
}

#[test]
fn numbers_with_wrong_length_leading_zero_or_letters_are_refused() {
    for bad in ["+12345", "+1234567890123456", "+0612345678", "+33six", "+", "++33612345678"] {
        assert_eq!(
            check_number(Field::OutgoingNumber, bad),
            Err(ValidationError::NumberFormat { field: Field::OutgoingNumber }),
            "{bad:?}"
        );
    }
    assert_eq!(check_number(Field::Gsm, "+123456"), Ok(Some("+123456".to_string())));
    assert_eq!(check_number(Field::Gsm, "+123456789012345").map(|n| n.is_some()), Ok(true));
}

#[test]
fn sip_passwords_need_eight_printable_characters() {
    assert_eq!(check_sip_password("s3cret!x"), Ok("s3cret!x".to_string()));
    assert_eq!(check_sip_password("short"), Err(ValidationError::PasswordTooShort));
    assert_eq!(check_sip_password("with space"), Err(ValidationError::PasswordNotPrintable));
    assert_eq!(check_sip_password("tab\there1"), Err(ValidationError::PasswordNotPrintable));
    assert_eq!(check_sip_password("pässwörter"), Err(ValidationError::PasswordNotPrintable));
    let long = "x".repeat(PASSWORD_MAX_CHARS + 1);
    assert_eq!(check_sip_password(&long), Err(ValidationError::PasswordTooLong));
}

#[test]
fn generated_passwords_are_long_alphanumeric_and_different() {
    let first = generate_sip_password();
    let second = generate_sip_password();
    assert_eq!(first.len(), GENERATED_PASSWORD_CHARS);
    assert!(first.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(check_sip_password(&first), Ok(first.clone()));
    assert_ne!(first, second);
}

#[test]
fn errors_name_the_field_they_are_about() {
    assert_eq!(ValidationError::EmailFormat.field().key(), "email");
    assert_eq!(ValidationError::PasswordTaken.field().key(), "sip_password");
    let gsm = ValidationError::NumberFormat { field: Field::Gsm };
    assert_eq!(gsm.field().key(), "gsm");
}

#[test]
fn a_new_user_must_not_reuse_an_extension_or_a_password() {
    let users = config(vec![user("1001", "password-one")]).users;
    assert_eq!(
        validate_new_user(&user("1001", "password-two"), &users),
        Err(ValidationError::ExtensionTaken { extension: "1001".to_string() })
    );
    assert_eq!(
        validate_new_user(&user("1002", "password-one"), &users),
        Err(ValidationError::PasswordTaken)
    );
    assert_eq!(validate_new_user(&user("1002", "password-two"), &users), Ok(()));
}

#[test]
fn a_stored_number_not_in_canonical_form_is_refused() {
    let mut spaced = user("1001", "password-one");
    spaced.gsm = Some("+33 6 12 34 56 78".to_string());
    assert_eq!(validate_user(&spaced), Err(ValidationError::NumberFormat { field: Field::Gsm }));
}

#[test]
fn a_config_with_a_shared_password_names_the_second_user() {
    let shared = config(vec![user("1001", "password-one"), user("1002", "password-one")]);
    let error = validate_config(&shared).unwrap_err();
    assert_eq!(error.0.len(), 1);
    assert_eq!(error.0[0].subject, "user 1002");
    assert_eq!(error.0[0].error, ValidationError::PasswordTaken);
}

#[test]
fn a_config_with_a_user_filed_under_another_extension_is_refused() {
    let mut misfiled = config(vec![user("1001", "password-one")]);
    let moved = misfiled.users.remove("1001").expect("user just inserted");
    misfiled.users.insert("1002".to_string(), moved);
    let error = validate_config(&misfiled).unwrap_err();
    assert!(matches!(error.0[0].error, ValidationError::ExtensionMismatch { .. }));
}

#[test]
fn a_config_with_a_bad_domain_or_a_bad_user_field_is_refused() {
    let mut bad_domain = config(vec![]);
    bad_domain.settings.domain = "not a host".to_string();
    assert_eq!(validate_config(&bad_domain).unwrap_err().0[0].subject, "settings");
    bad_domain.settings.domain = String::new();
    assert_eq!(validate_config(&bad_domain).unwrap_err().0[0].subject, "settings");
    for ip in ["192.168.1.10", "::1"] {
        bad_domain.settings.domain = ip.to_string();
        assert_eq!(validate_config(&bad_domain), Ok(()), "{ip}");
    }

    let mut nameless = user("1001", "password-one");
    nameless.name = String::new();
    let error = validate_config(&config(vec![nameless])).unwrap_err();
    assert_eq!(error.to_string(), "user 1001: name must not be empty");

    assert_eq!(validate_config(&config(vec![user("1001", "password-one")])), Ok(()));
}

proptest! {
    #[test]
    fn any_two_to_eight_digits_is_an_extension(ext in "[0-9]{2,8}") {
        prop_assert_eq!(check_extension(&ext), Ok(ext.clone()));
    }

    #[test]
    fn an_extension_check_never_accepts_a_non_digit(ext in ".{0,10}") {
        if let Ok(accepted) = check_extension(&ext) {
            prop_assert!(accepted.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!((2..=8).contains(&accepted.len()));
        }
    }

    #[test]
    fn an_accepted_number_is_canonical_e164(input in "[+0-9 .()-]{0,20}") {
        if let Ok(Some(number)) = check_number(Field::Gsm, &input) {
            prop_assert!(number.starts_with('+'));
            let digits = &number[1..];
            prop_assert!((6..=15).contains(&digits.len()));
            prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(!digits.starts_with('0'));
            // Checking the canonical form again gives it back unchanged.
            prop_assert_eq!(check_number(Field::Gsm, &number), Ok(Some(number.clone())));
        }
    }

    #[test]
    fn an_accepted_name_is_trimmed_and_free_of_control_characters(input in "\\PC{0,80}") {
        if let Ok(name) = check_name(&input) {
            prop_assert_eq!(name.trim(), name.as_str());
            prop_assert!(!name.is_empty());
            prop_assert!(name.chars().count() <= NAME_MAX_CHARS);
        }
    }
}
