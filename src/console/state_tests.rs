use super::*;
use crate::console::fixtures::{call, console_with, office_snapshot, registration, NOW};
use crate::control::api::{CallOutcome, CallRecord, CallState};

#[test]
fn a_registrations_event_replaces_only_that_users_bindings() {
    let mut state = console_with(office_snapshot());
    let phones = vec![
        registration("1001", "sip:1001@192.168.1.21:5060", "UDP", "desk", 60),
        registration("1001", "sip:1001@192.168.1.80:5060", "UDP", "softphone", 60),
    ];
    let followup =
        state.apply_event(Event::Registrations { user: "1001".into(), registrations: phones });

    assert_eq!(followup, None);
    let users: Vec<&str> = state.registrations.iter().map(|r| r.user.as_str()).collect();
    assert_eq!(users, ["1001", "1001", "1003"]);
}

#[test]
fn an_empty_registrations_event_takes_the_user_offline() {
    let mut state = console_with(office_snapshot());
    state.apply_event(Event::Registrations { user: "1003".into(), registrations: Vec::new() });
    assert!(state.registrations.iter().all(|r| r.user != "1003"));
    // 1003 is still being rung, so not offline yet.
    assert_eq!(state.presence().get("1003"), Some(&Presence::Ringing));
}

#[test]
fn a_call_update_inserts_a_new_call_then_changes_it_in_place() {
    let mut state = console_with(office_snapshot());
    let mut new_call = call("c-new", "1002", "1004", CallState::Ringing, 1);
    state.apply_event(Event::CallUpdated { call: new_call.clone() });
    assert_eq!(state.calls.len(), 3);

    new_call.state = CallState::Answered;
    new_call.answered_at = Some(NOW);
    state.apply_event(Event::CallUpdated { call: new_call });
    assert_eq!(state.calls.len(), 3);
    let updated = state.calls.iter().find(|c| c.id == "c-new").expect("call kept");
    assert_eq!(updated.state, CallState::Answered);
}

#[test]
fn a_call_end_removes_the_call() {
    let mut state = console_with(office_snapshot());
    let record = CallRecord {
        id: "c-ringing".into(),
        caller: "+3225550142".into(),
        callee: "1003".into(),
        started_at: NOW,
        answered_at: None,
        ended_at: NOW,
        outcome: CallOutcome::Cancelled,
    };
    state.apply_event(Event::CallEnded { record });
    let ids: Vec<&str> = state.calls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c-answered"]);
}

#[test]
fn a_config_change_updates_the_counts_and_asks_to_reread_users() {
    let mut state = console_with(office_snapshot());
    let followup = state.apply_event(Event::ConfigChanged { revision: 8, pending_changes: 0 });
    assert_eq!(followup, Some(Followup::ReadConfiguration));
    assert_eq!((state.revision, state.pending_changes), (8, 0));
}

#[test]
fn lagging_asks_for_a_new_subscription() {
    let mut state = console_with(office_snapshot());
    assert_eq!(state.apply_event(Event::Lagged), Some(Followup::Resubscribe));
    assert_eq!(state.connection, Connection::Connecting);
}

#[test]
fn a_configuration_snapshot_leaves_live_calls_to_the_event_stream() {
    let mut state = console_with(office_snapshot());
    state.apply_event(Event::CallUpdated {
        call: call("c-new", "1002", "1004", CallState::Ringing, 1),
    });

    let mut older = office_snapshot();
    older.revision = 8;
    older.staged_users.truncate(2);
    state.apply_configuration(older);

    assert_eq!(state.revision, 8);
    assert_eq!(state.users.len(), 2);
    assert_eq!(state.calls.len(), 3, "calls come from events, not this snapshot");
}

#[test]
fn presence_follows_registrations_and_calls() {
    let mut state = console_with(office_snapshot());
    state.apply_event(Event::Registrations {
        user: "1002".into(),
        registrations: vec![
            registration("1002", "sip:1002@a", "UDP", "one", 60),
            registration("1002", "sip:1002@b", "UDP", "two", 60),
        ],
    });
    let presence = state.presence();
    assert_eq!(presence.get("1001"), Some(&Presence::OnCall));
    assert_eq!(presence.get("1002"), Some(&Presence::Registered { devices: 2 }));
    assert_eq!(presence.get("1003"), Some(&Presence::Ringing));
    assert_eq!(presence.get("1004"), None, "no registration and no call: offline");
}

#[test]
fn call_parties_given_as_sip_uris_are_matched_to_users() {
    let mut state = console_with(office_snapshot());
    state.apply_event(Event::CallUpdated {
        call: call(
            "c-uri",
            "sip:1004@pbx.example.com",
            "sip:1005@pbx.example.com",
            CallState::Answered,
            5,
        ),
    });
    let presence = state.presence();
    assert_eq!(presence.get("1004"), Some(&Presence::OnCall));
    assert_eq!(presence.get("1005"), Some(&Presence::OnCall));
    assert_eq!(state.extension_of("+3225550199"), None);
}

#[test]
fn the_selection_stays_on_a_row_when_rows_go_away() {
    let mut state = console_with(office_snapshot());
    state.selected[Pane::Calls.index()] = 1;
    state.apply_event(Event::CallEnded {
        record: CallRecord {
            id: "c-ringing".into(),
            caller: String::new(),
            callee: String::new(),
            started_at: NOW,
            answered_at: None,
            ended_at: NOW,
            outcome: CallOutcome::Cancelled,
        },
    });
    assert_eq!(state.selected(Pane::Calls), 0);
}

#[test]
fn durations_count_from_the_answer_once_answered() {
    let answered = call("a", "1001", "1002", CallState::Answered, 100);
    assert_eq!(call_duration(&answered, NOW), time::Duration::seconds(91));
    let ringing = call("r", "1001", "1002", CallState::Ringing, 12);
    assert_eq!(call_duration(&ringing, NOW), time::Duration::seconds(12));
    assert_eq!(call_duration(&ringing, NOW - time::Duration::minutes(5)), time::Duration::ZERO);
}

#[test]
fn the_filter_keeps_users_whose_extension_or_name_contains_it_case_aside() {
    let mut state = console_with(office_snapshot());
    state.filter = "DUB".to_string();
    state.refresh_user_view();
    assert_eq!(state.row_count(Pane::Users), 1);
    assert_eq!(state.visible_user(0).map(|user| user.name.as_str()), Some("Chloé Dubois"));
    state.filter = "100".to_string();
    state.refresh_user_view();
    assert_eq!(state.row_count(Pane::Users), 5);
}

#[test]
fn the_sort_key_goes_up_then_down_then_to_the_next_column() {
    let mut state = console_with(office_snapshot());
    state.sort = state.sort.next();
    state.refresh_user_view();
    assert_eq!(state.visible_user(0).map(|user| user.extension.as_str()), Some("1005"));
    state.sort = state.sort.next();
    state.refresh_user_view();
    assert_eq!(state.sort.column, UserColumn::Name);
    assert_eq!(state.visible_user(0).map(|user| user.name.as_str()), Some("Alice Martin"));
}

#[test]
fn ten_thousand_users_filter_to_the_matching_few() {
    let mut snapshot = office_snapshot();
    snapshot.users = (0..10_000)
        .map(|n| {
            crate::console::fixtures::user(
                &format!("{}", 20_000 + n),
                &format!("User {n}"),
                n % 2 == 0,
                None,
            )
        })
        .collect();
    snapshot.staged_users = crate::console::fixtures::unchanged(&snapshot.users);
    let mut state = console_with(snapshot);
    state.filter = "user 999".to_string();
    state.refresh_user_view();
    // "User 999" and "User 9990" to "User 9999".
    assert_eq!(state.row_count(Pane::Users), 11);
}

#[test]
fn sorting_by_state_puts_users_on_a_call_last_and_follows_events() {
    let mut state = console_with(office_snapshot());
    while state.sort.column != UserColumn::State {
        state.sort = state.sort.next();
    }
    state.refresh_user_view();
    let last = state.user_view.len() - 1;
    let on_call: Vec<String> = state
        .calls
        .iter()
        .filter(|call| call.state == CallState::Answered)
        .flat_map(|call| [call.caller.clone(), call.callee.clone()])
        .collect();
    let last_user = state.visible_user(last).expect("a row").extension.clone();
    assert!(on_call.iter().any(|party| party.contains(&last_user)), "{last_user} is not on a call");

    for call in state.calls.clone() {
        let record = CallRecord {
            id: call.id,
            caller: call.caller,
            callee: call.callee,
            started_at: call.started_at,
            answered_at: call.answered_at,
            ended_at: NOW,
            outcome: CallOutcome::Answered,
        };
        state.apply_event(Event::CallEnded { record });
    }
    let first = state.visible_user(0).expect("a row").extension.clone();
    assert!(!state.presence().contains_key(first.as_str()), "{first} should be offline and first");
}

#[test]
fn extensions_sort_as_numbers() {
    let mut state = console_with(office_snapshot());
    let mut short = state.users[0].clone();
    short.extension = "99".to_string();
    state.users.push(short);
    state.refresh_user_view();
    assert_eq!(state.visible_user(0).expect("a row").extension, "99");
}
