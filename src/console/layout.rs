//! Where each pane sits on the screen. `render` draws into these areas and
//! `update` uses the same ones to turn a mouse click into a pane and a row,
//! so the two cannot disagree.

use ratatui::layout::{Constraint, Layout, Rect};

use super::state::Pane;

/// From this width on, panes sit side by side in two columns.
const WIDE: u16 = 110;

/// The screen split into the panes' area and the one-line status bar below.
pub fn split_screen(area: Rect) -> (Rect, Rect) {
    let [panes, status] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    (panes, status)
}

/// The area of each pane shown: only the focused one when zoomed.
pub fn pane_areas(area: Rect, focus: Pane, zoomed: bool) -> Vec<(Pane, Rect)> {
    if zoomed {
        return vec![(focus, area)];
    }

    if area.width >= WIDE {
        let [top, bottom] =
            Layout::vertical([Constraint::Fill(3), Constraint::Fill(2)]).areas(area);
        let [users, calls] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]).areas(top);
        let [connected, queues] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(32)]).areas(bottom);
        return vec![
            (Pane::Users, users),
            (Pane::Calls, calls),
            (Pane::Queues, queues),
            (Pane::Connected, connected),
        ];
    }

    let [users, middle, connected] =
        Layout::vertical([Constraint::Fill(4), Constraint::Fill(3), Constraint::Fill(3)])
            .areas(area);
    let [calls, queues] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(24)]).areas(middle);
    vec![
        (Pane::Users, users),
        (Pane::Calls, calls),
        (Pane::Queues, queues),
        (Pane::Connected, connected),
    ]
}

/// The area of one pane on a screen of this size, if it is shown.
pub fn pane_area(screen: Rect, pane: Pane, focus: Pane, zoomed: bool) -> Option<Rect> {
    let (panes, _) = split_screen(screen);
    pane_areas(panes, focus, zoomed).into_iter().find(|(shown, _)| *shown == pane).map(|(_, a)| a)
}

/// How many data rows a table pane of this area shows: the area less its
/// border (two lines) and the column headings (one).
pub fn table_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3)).max(1)
}

/// The first row shown when `selected` must be visible among `rows` rows.
/// The selection sticks to the bottom edge when it passes the window, which
/// keeps this a pure function of the state.
pub fn first_row(selected: usize, rows: usize) -> usize {
    (selected + 1).saturating_sub(rows.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pane_is_shown_at_the_smallest_supported_size() {
        let (panes, status) = split_screen(Rect::new(0, 0, 80, 24));
        assert_eq!(status.height, 1);
        let areas = pane_areas(panes, Pane::Users, false);
        assert_eq!(areas.len(), 4);
        for (pane, area) in areas {
            assert!(area.height >= 4 && area.width >= 20, "{pane:?} too small: {area:?}");
        }
    }

    #[test]
    fn a_zoomed_pane_takes_the_whole_pane_area() {
        let area = Rect::new(0, 0, 80, 23);
        assert_eq!(pane_areas(area, Pane::Calls, true), vec![(Pane::Calls, area)]);
    }

    #[test]
    fn the_window_follows_the_selection() {
        assert_eq!(first_row(0, 5), 0);
        assert_eq!(first_row(4, 5), 0);
        assert_eq!(first_row(5, 5), 1);
        assert_eq!(first_row(99, 10), 90);
    }
}
