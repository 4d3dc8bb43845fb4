//! Calls through the PBX, from outside: SIPp callers dial extensions whose
//! phones are SIPp far ends registered to switchboard, and each call must end
//! with the exact SIP answer and the call record the product promises.

mod support;

use std::time::Duration;

use support::pbx::{CallRecord, Pbx, User};
use support::ports;
use support::sipp::{RunningSipp, Sipp};
use support::wait;
use support::SHORT;

/// Each user's SIP password; switchboard wants them all different.
fn password(extension: &str) -> String {
    format!("secret-{extension}-pw")
}

/// Callers, a callee taking one call at a time, one taking several, and one
/// who never registers.
fn office() -> Pbx {
    Pbx::with_users(&[
        User::new("1001", &password("1001")),
        User::new("1002", &password("1002")),
        User::new("2001", &password("2001")),
        User::new("2002", &password("2002")).with_multiple_calls(),
        User::new("2003", &password("2003")),
    ])
}

/// Registers `user` from a fresh port and starts the SIPp phone `scenario` on
/// it, ringing for `ring_ms` where the scenario pauses.
fn callee(pbx: &Pbx, user: &str, scenario: &str, ring_ms: u64, calls: u32) -> RunningSipp {
    let port = ports::block(4).first;
    Sipp::client("register.xml", pbx.udp())
        .port(port)
        .credentials(user, &password(user))
        .key("expires", 600)
        .run()
        .assert_success(&format!("registering {user}"));

    let phone = Sipp::server(scenario)
        .port(port)
        .calls(calls)
        .arg("-d")
        .arg(ring_ms)
        .timeout(Duration::from_secs(30))
        .spawn();
    assert!(
        wait::for_condition(SHORT, || !ports::is_free(port)),
        "SIPp phone for {user} did not bind port {port}"
    );
    phone
}

/// A SIPp caller of `caller` dialling `callee`; `hold_ms` is its pause.
fn caller(pbx: &Pbx, caller: &str, callee: &str, scenario: &str, hold_ms: u64) -> Sipp {
    Sipp::client(scenario, pbx.udp())
        .credentials(caller, &password(caller))
        .key("callee", callee)
        // Digest uri = Request-URI (SIPp would otherwise use host:port alone).
        .arg("-auth_uri")
        .arg(format!("{callee}@{}", pbx.udp()))
        .arg("-d")
        .arg(hold_ms)
        .timeout(Duration::from_secs(30))
}

fn record_between(pbx: &Pbx, from: &str, to: &str) -> CallRecord {
    pbx.wait_for_call_record(SHORT, |record| record.caller == from && record.callee == to)
}

#[test]
fn call_between_two_phones_is_answered_and_recorded() {
    let pbx = office();
    let phone = callee(&pbx, "2001", "uas_answer.xml", 500, 1);

    let call = caller(&pbx, "1001", "2001", "uac_call.xml", 3000).spawn();
    let live = wait::until(Duration::from_secs(10), || {
        pbx.status().calls.into_iter().find(|c| {
            c.caller == "1001" && c.callee == "2001" && c.state.eq_ignore_ascii_case("answered")
        })
    });

    let caller_run = call.wait();
    caller_run.assert_success("caller 1001");
    phone.wait().assert_success("phone of 2001");
    assert!(live.is_some(), "status --json never showed the answered call");

    let record = record_between(&pbx, "1001", "2001");
    assert_eq!(record.outcome, "answered", "{record:#?}");
    let answered_at = record.answered_at.expect("an answered call has answered_at");
    assert!(record.started_at <= answered_at && answered_at <= record.ended_at, "{record:#?}");
    assert!(pbx.status().calls.is_empty(), "the call has ended: {:#?}", pbx.status());
}

#[test]
fn callee_hanging_up_ends_the_call_for_the_caller() {
    let pbx = office();
    let phone = callee(&pbx, "2001", "uas_answer_then_hang_up.xml", 1500, 1);

    let run = caller(&pbx, "1001", "2001", "uac_call_remote_bye.xml", 0).run();
    run.assert_success("caller 1001 waiting for the BYE");
    assert_eq!(run.logged("bye"), ["received"], "{}", run.report());
    phone.wait().assert_success("phone of 2001 hanging up");

    assert_eq!(record_between(&pbx, "1001", "2001").outcome, "answered");
}

#[test]
fn cancel_while_ringing_gives_487_and_a_cancelled_record() {
    let pbx = office();
    let phone = callee(&pbx, "2001", "uas_ring.xml", 0, 1);

    let run = caller(&pbx, "1001", "2001", "uac_cancel.xml", 1000).run();
    run.assert_success("caller 1001 cancelling");
    assert_eq!(run.logged("final"), ["487"], "{}", run.report());

    let rang = phone.wait();
    rang.assert_success("phone of 2001 ringing, then cancelled");
    assert_eq!(rang.logged("cancel"), ["received"], "{}", rang.report());

    let record = record_between(&pbx, "1001", "2001");
    assert_eq!(record.outcome, "cancelled", "{record:#?}");
    assert!(record.answered_at.is_none(), "{record:#?}");
}

#[test]
fn busy_phone_gives_486_to_the_caller() {
    let pbx = office();
    let phone = callee(&pbx, "2001", "uas_busy.xml", 0, 1);

    let run = caller(&pbx, "1001", "2001", "uac_call_refused.xml", 0).run();
    run.assert_success("caller 1001");
    assert_eq!(run.logged("final"), ["486"], "{}", run.report());
    phone.wait().assert_success("busy phone of 2001");

    assert_eq!(record_between(&pbx, "1001", "2001").outcome, "busy");
}

#[test]
fn callee_on_an_answered_call_is_busy_without_multiple_calls() {
    let pbx = office();
    let phone = callee(&pbx, "2001", "uas_answer.xml", 0, 1);

    let first = caller(&pbx, "1001", "2001", "uac_call.xml", 6000).spawn();
    let answered = wait::for_condition(Duration::from_secs(10), || {
        pbx.status().calls.iter().any(|c| c.state.eq_ignore_ascii_case("answered"))
    });
    assert!(answered, "the first call was never answered: {:#?}", pbx.status());

    let second = caller(&pbx, "1002", "2001", "uac_call_refused.xml", 0).run();
    second.assert_success("second caller 1002");
    assert_eq!(second.logged("final"), ["486"], "{}", second.report());

    first.wait().assert_success("first caller 1001");
    phone.wait().assert_success("phone of 2001");
    assert_eq!(record_between(&pbx, "1002", "2001").outcome, "busy");
    assert_eq!(record_between(&pbx, "1001", "2001").outcome, "answered");
}

#[test]
fn callee_accepting_several_calls_gets_the_second_call() {
    let pbx = office();
    let phone = callee(&pbx, "2002", "uas_answer.xml", 0, 2);

    let first = caller(&pbx, "1001", "2002", "uac_call.xml", 6000).spawn();
    let answered = wait::for_condition(Duration::from_secs(10), || {
        pbx.status().calls.iter().any(|c| c.state.eq_ignore_ascii_case("answered"))
    });
    assert!(answered, "the first call was never answered: {:#?}", pbx.status());

    caller(&pbx, "1002", "2002", "uac_call.xml", 1000).run().assert_success("second caller 1002");
    first.wait().assert_success("first caller 1001");
    phone.wait().assert_success("phone of 2002 taking two calls");
    assert_eq!(record_between(&pbx, "1002", "2002").outcome, "answered");
}

#[test]
fn unregistered_callee_gives_480() {
    let pbx = office();
    let run = caller(&pbx, "1001", "2003", "uac_call_refused.xml", 0).run();
    run.assert_success("caller 1001");
    assert_eq!(run.logged("final"), ["480"], "{}", run.report());
    assert_eq!(record_between(&pbx, "1001", "2003").outcome, "unavailable");
}

#[test]
fn unknown_number_gives_404() {
    let pbx = office();
    let run = caller(&pbx, "1001", "9999", "uac_call_refused.xml", 0).run();
    run.assert_success("caller 1001");
    assert_eq!(run.logged("final"), ["404"], "{}", run.report());
    assert_eq!(record_between(&pbx, "1001", "9999").outcome, "not_found");
}

#[test]
fn every_registered_phone_of_the_callee_rings() {
    let pbx = office();
    let desk = callee(&pbx, "2001", "uas_answer.xml", 1500, 1);
    let mobile = callee(&pbx, "2001", "uas_ring.xml", 0, 1);
    assert_eq!(pbx.registrations_of("2001").len(), 2, "{:#?}", pbx.status());

    caller(&pbx, "1001", "2001", "uac_call.xml", 1000).run().assert_success("caller 1001");
    desk.wait().assert_success("the phone that answered");
    let cancelled = mobile.wait();
    cancelled.assert_success("the other phone, which rang and was cancelled");
    assert_eq!(cancelled.logged("cancel"), ["received"], "{}", cancelled.report());
}

#[test]
fn invite_with_a_wrong_password_is_refused_before_routing() {
    let pbx = office();
    let run = Sipp::client("uac_call_refused.xml", pbx.udp())
        .credentials("1001", "not-the-password")
        .key("callee", "2003")
        .arg("-auth_uri")
        .arg(format!("2003@{}", pbx.udp()))
        .run();
    run.assert_success("caller with a wrong password");
    let code = run.logged("final");
    assert!(
        code == ["401"] || code == ["403"] || code == ["407"],
        "a wrong password must be refused, not routed (2003 would give 480)\n{}",
        run.report()
    );
}

#[test]
fn stopping_the_pbx_hangs_up_a_live_call_on_both_sides_and_records_it() {
    let mut pbx = office();
    let phone = callee(&pbx, "2001", "uas_answer.xml", 0, 1);
    // The caller would hang up after a minute; the PBX stops long before.
    let calling = caller(&pbx, "1001", "2001", "uac_call.xml", 60_000).spawn();
    let answered = wait::for_condition(SHORT, || {
        pbx.status().calls.iter().any(|call| call.state == "answered")
    });
    assert!(answered, "the call was never answered: {:#?}", pbx.status());

    let status = pbx.stop_in_place();
    assert!(status.is_some_and(|s| s.success()), "serve did not exit 0: {status:?}");
    phone.wait().assert_success("the callee, which must get a BYE");
    drop(calling);

    let records = pbx.calls();
    let record = records.iter().find(|r| r.caller == "1001" && r.callee == "2001");
    let record = record.unwrap_or_else(|| panic!("no record of the call: {records:#?}"));
    assert_eq!(record.outcome, "answered");
    assert!(record.answered_at.is_some());
}

#[test]
fn a_call_cut_off_by_a_crash_is_recorded_as_failed_after_restart() {
    let pbx = office();
    let _phone = callee(&pbx, "2001", "uas_answer.xml", 0, 1);
    let _calling = caller(&pbx, "1001", "2001", "uac_call.xml", 60_000).spawn();
    let answered = wait::for_condition(SHORT, || {
        pbx.status().calls.iter().any(|call| call.state == "answered")
    });
    assert!(answered, "the call was never answered: {:#?}", pbx.status());
    // sled writes the open call within half a second.
    std::thread::sleep(Duration::from_millis(1_200));

    let pbx = pbx.crash_and_restart();
    let record = record_between(&pbx, "1001", "2001");
    assert_eq!(record.outcome, "failed");
    assert!(record.answered_at.is_some(), "it was answered before the crash");
}

#[test]
fn phones_stay_reachable_across_a_restart_of_the_pbx() {
    let pbx = office();
    let phone = callee(&pbx, "2001", "uas_answer.xml", 0, 1);

    let pbx = pbx.restart();
    assert_eq!(pbx.registrations_of("2001").len(), 1, "{:#?}", pbx.status());
    caller(&pbx, "1001", "2001", "uac_call.xml", 500).run().assert_success("caller 1001");
    phone.wait().assert_success("the phone registered before the restart");
    assert_eq!(record_between(&pbx, "1001", "2001").outcome, "answered");
}
