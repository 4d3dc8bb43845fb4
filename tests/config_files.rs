//! `export`, `import` and `user import` as a script sees them: what the files
//! hold, that an export reads back to the same bytes, and that a bad file is
//! refused whole with every problem at its line. The files under
//! `tests/configs/` are the configuration tested as data: each valid one
//! imports, each invalid one is refused with the message its first line
//! expects (`# expect: FILE:LINE: message`).

use std::fs;
use std::path::Path;
use std::process::Command;

fn switchboard_in(dir: &Path, data: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .current_dir(dir)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("SWITCHBOARD_LOG")
        .output()
        .expect("the binary runs");
    (
        output.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn ok(dir: &Path, data: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = switchboard_in(dir, data, args);
    assert_eq!(code, 0, "{args:?} failed: {stderr}");
    stdout
}

/// Stderr of a refused command, which must exit 1.
fn refused(dir: &Path, data: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = switchboard_in(dir, data, args);
    assert_eq!(code, 1, "{args:?} should be refused; stdout: {stdout}");
    stderr
}

/// An office with something in every part: the demo, a user with tabs, an
/// incoming number, a group and a pickup group a key names, all applied.
fn office(dir: &Path, data: &Path) {
    ok(dir, data, &["demo"]);
    ok(
        dir,
        data,
        &[
            "user",
            "set",
            "1001",
            "--forward-no-answer",
            "1002:20,+33612345678:30",
            "--key",
            "2=blf:1002",
            "--key",
            "3=pickup:reception",
            "--console-username",
            "camille",
            "--console-password",
            "a long enough password",
            "--preset",
            "operator",
        ],
    );
    ok(
        dir,
        data,
        &["number", "add", "+33199001000", "--destination", "extension", "--target", "1001"],
    );
    ok(dir, data, &["group", "add", "sales", "--members", "1001,1002"]);
    ok(dir, data, &["pickup-group", "add", "reception", "--members", "1001,1002"]);
    ok(dir, data, &["apply"]);
}

#[test]
fn an_export_imported_into_a_new_store_exports_the_same_bytes_with_and_without_secrets() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let first = dir.join("first");
    office(dir, &first);

    for secrets in [true, false] {
        let flag: &[&str] = if secrets { &["--with-secrets"] } else { &[] };
        let store = dir.join(format!("copy-{secrets}"));
        ok(dir, &first, &[&["export", "a.toml"], flag].concat());
        ok(dir, &store, &["import", "a.toml"]);
        ok(dir, &store, &[&["export", "b.toml"], flag].concat());
        let (a, b) = (fs::read(dir.join("a.toml")), fs::read(dir.join("b.toml")));
        assert_eq!(a.expect("a"), b.expect("b"), "secrets: {secrets}");
    }

    // Within one store, too: an import without secrets keeps them.
    ok(dir, &first, &["export", "--with-secrets", "a.toml"]);
    ok(dir, &first, &["export", "plain.toml"]);
    ok(dir, &first, &["import", "plain.toml"]);
    assert_eq!(ok(dir, &first, &["diff"]), "nothing staged\n");
    ok(dir, &first, &["export", "--with-secrets", "b.toml"]);
    assert_eq!(fs::read(dir.join("a.toml")).ok(), fs::read(dir.join("b.toml")).ok());
}

#[test]
fn an_export_without_secrets_holds_no_password_and_an_import_generates_new_ones() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    office(dir, &dir.join("office"));
    let shown = ok(dir, &dir.join("office"), &["user", "show", "1001", "--reveal"]);
    let password = shown
        .lines()
        .find_map(|l| l.strip_prefix("SIP password"))
        .map(str::trim)
        .expect("password shown");

    ok(dir, &dir.join("office"), &["export", "office.toml"]);
    let text = fs::read_to_string(dir.join("office.toml")).expect("written");
    assert!(!text.contains(password) && !text.contains("argon2"), "{text}");

    let imported = ok(dir, &dir.join("new"), &["import", "office.toml"]);
    assert_eq!(imported.matches(" (new user): ").count(), 10, "{imported}");
    assert!(imported.contains("SIP password for 1001 (new user): "), "{imported}");
    ok(dir, &dir.join("new"), &["apply"]);
}

#[test]
fn a_refused_import_lists_every_problem_at_its_line_and_stages_nothing() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let data = dir.join("office");
    office(dir, &data);
    ok(dir, &data, &["export", "users.toml"]);
    let text = fs::read_to_string(dir.join("users.toml")).expect("written");
    let text = text.replacen("no_answer = []", "no_answer = [\"1999:20\"]", 1);
    let text = text.replacen("name = \"Sophie", "name = \"\" # Sophie", 1);
    fs::write(dir.join("users.toml"), &text).expect("edited");
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).expect(needle) + 1;

    let stderr = refused(dir, &data, &["import", "users.toml"]);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(lines[0].starts_with(&format!("users.toml:{}: user ", line_of("1999:20"))), "{stderr}");
    assert!(lines[0].ends_with(": forwarding on no answer: there is no user 1999"), "{stderr}");
    assert!(lines[1].starts_with(&format!("users.toml:{}: user ", line_of("# Sophie"))));
    assert!(lines[1].ends_with(": name must not be empty"), "{stderr}");
    assert_eq!(lines[2], "error: nothing staged: 2 problem(s) in users.toml");
    assert_eq!(ok(dir, &data, &["diff"]), "nothing staged\n");
}

#[test]
fn a_csv_of_users_is_staged_whole_or_refused_with_each_bad_row() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let data = dir.join("office");
    ok(dir, &data, &["user", "add", "1001", "--name", "Anne"]);

    let bad = "extension,name,email,gsm\n\
               2001,\"Doe, Jane\",jane@example.com,+33612345670\n\
               2002,Bob,bob@,\n\
               2003,Carl,,0612345678\n\
               2004,Dora\n\
               1001,Anne again\n\
               12a4,Eve,,\n";
    fs::write(dir.join("users.csv"), bad).expect("written");
    let stderr = refused(dir, &data, &["user", "import", "users.csv"]);
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "users.csv:3: user 2002: email must be an address like anne@example.com, or empty",
            "users.csv:4: user 2003: GSM number needs the country code: write it as + then the \
             country code, e.g. +33612345678",
            "users.csv:6: user 1001: extension 1001 is already taken",
            "users.csv:7: user 12a4: extension must be 2 to 8 digits",
            "error: nothing staged: 4 problem(s) in users.csv",
        ]
    );
    assert_eq!(ok(dir, &data, &["diff"]), "user 1001: added\n");

    let good = "2001,\"Doe, Jane\",jane@example.com,+33612345670\n2002,Bob\n";
    fs::write(dir.join("users.csv"), good).expect("written");
    let stdout = ok(dir, &data, &["user", "import", "users.csv"]);
    let passwords: Vec<&str> =
        stdout.lines().filter(|l| l.starts_with("SIP password for ")).collect();
    assert_eq!(passwords.len(), 2, "{stdout}");
    assert!(passwords[0].starts_with("SIP password for 2001: "), "{stdout}");
    ok(dir, &data, &["apply"]);
    let shown = ok(dir, &data, &["user", "show", "2001"]);
    assert!(shown.contains("Doe, Jane") && shown.contains("+33612345670"), "{shown}");
}

#[test]
fn number_and_group_listings_show_live_configuration_and_note_staged_changes() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let data = dir.join("office");
    ok(dir, &data, &["user", "add", "1001", "--name", "Anne"]);
    ok(
        dir,
        &data,
        &["number", "add", "+33199001000", "--destination", "extension", "--target", "1001"],
    );
    ok(dir, &data, &["group", "add", "sales", "--members", "1001"]);

    let (_, stdout, stderr) = switchboard_in(dir, &data, &["number", "list"]);
    assert_eq!(stdout, "no incoming numbers\n");
    assert!(stderr.starts_with("note: 3 staged change(s) not live yet"), "{stderr}");
    assert_eq!(ok(dir, &data, &["group", "list"]), "no user groups\n");

    ok(dir, &data, &["apply"]);
    let (_, stdout, stderr) = switchboard_in(dir, &data, &["group", "list"]);
    assert!(stdout.contains("sales") && stderr.is_empty(), "{stdout}{stderr}");
    assert!(ok(dir, &data, &["number", "list"]).contains("+33199001000"));
}

#[test]
fn every_valid_configuration_file_imports_and_every_invalid_one_gives_its_message() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs");
    let temp = tempfile::tempdir().expect("temp dir");
    let files = |folder: &str| {
        let mut paths: Vec<_> = fs::read_dir(root.join(folder))
            .expect("folder")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        assert!(!paths.is_empty(), "no files in {folder}");
        paths
    };

    for (index, path) in files("valid").iter().enumerate() {
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        let data = temp.path().join(format!("valid-{index}"));
        ok(&root.join("valid"), &data, &["import", name]);
        ok(&root.join("valid"), &data, &["apply"]);
    }

    for (index, path) in files("invalid").iter().enumerate() {
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        let text = fs::read_to_string(path).expect("readable");
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{name} has no `# expect:` first line"));
        let data = temp.path().join(format!("invalid-{index}"));
        let stderr = refused(&root.join("invalid"), &data, &["import", name]);
        assert!(stderr.lines().any(|l| l.starts_with(expected)), "{name}: {stderr}");
        assert_eq!(ok(&root.join("invalid"), &data, &["diff"]), "nothing staged\n", "{name}");
    }
}
