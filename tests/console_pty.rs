//! The real binary in a pseudo-terminal: `remedy demo` shows alerts, approves a scan, survives a resize, quits clean.

mod common;

use common::pty::Tui;

fn demo(cols: u16, rows: u16) -> (Tui, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let tui = Tui::spawn(
        &["demo"],
        &[
            ("XDG_DATA_HOME", data.to_str().unwrap()),
            ("XDG_CONFIG_HOME", home.path().to_str().unwrap()),
            ("USER", "pty-tester"),
        ],
        cols,
        rows,
    );
    (tui, home)
}

#[test]
fn demo_shows_alerts_and_quits_leaving_the_terminal_clean() {
    let (mut tui, _home) = demo(120, 36);
    tui.wait_for(20, "alerts from the simulator", |s| {
        s.contains("Impossible") && s.contains("DEMO")
    });
    assert!(
        tui.alternate_screen(),
        "the console draws on the alternate screen"
    );
    tui.send("q");
    assert!(tui.wait_exit(10), "remedy exits with success");
    assert!(
        !tui.alternate_screen(),
        "the alternate screen is left on quit"
    );
}

#[test]
fn escape_sequences_in_alert_titles_are_drawn_harmlessly() {
    // The demo tenant has an alert titled "Mass download by \x1b]0;pwned\x07\x1b[2Jmallory.quinn".
    let (tui, _home) = demo(120, 36);
    tui.wait_for(20, "alerts", |s| s.contains("Mass downloa"));
    tui.send("/");
    tui.send("mallory");
    tui.send("\r");
    let screen = tui.wait_for(10, "the selected alert's full title", |s| {
        s.contains("Mass download by mallory.quinn")
    });
    assert!(
        !screen.contains("pwned"),
        "the OSC title payload is not drawn:\n{screen}"
    );
    assert!(
        screen.contains("Policies"),
        "the screen was not cleared by the title:\n{screen}"
    );
    tui.send("q");
}

#[test]
fn works_at_80_by_24_and_after_a_resize() {
    let (mut tui, _home) = demo(80, 24);
    tui.wait_for(20, "alerts at 80x24", |s| s.contains("Alerts"));
    tui.resize(120, 36);
    tui.wait_for(10, "the wide layout after a resize", |s| {
        s.contains("Policies")
    });
    tui.resize(40, 10);
    tui.wait_for(10, "the too-small notice", |s| {
        s.to_lowercase().contains("too small")
    });
    tui.resize(100, 30);
    tui.wait_for(10, "the console back after growing again", |s| {
        s.contains("Alerts")
    });
    tui.send("q");
    assert!(tui.wait_exit(10));
}

#[test]
fn approving_a_proposed_scan_takes_it_to_succeeded_on_screen() {
    let (mut tui, _home) = demo(120, 36);
    tui.wait_for(30, "kwame's alert with proposals", |s| {
        s.lines()
            .any(|l| l.contains("kwame") && l.contains("proposed"))
    });
    tui.send("/");
    tui.send("kwame");
    tui.send("\r");
    tui.wait_for(10, "the filtered alert", |s| {
        s.contains("· Impossible travel") && s.contains("Machines 1 of")
    });
    tui.send("3");
    tui.wait_for(10, "the machines pane focused", |s| {
        s.contains("▶ Machines")
    });
    tui.send("a");
    tui.wait_for(10, "the approve dialog", |s| {
        s.contains("reason (optional)")
    });
    tui.send("travel is fake\r");
    tui.wait_for(60, "the approved scan reaching Succeeded", |s| {
        s.lines()
            .any(|l| l.contains("kwame-mens-dt") && l.contains("Succeeded"))
    });
    tui.send("q");
    assert!(tui.wait_exit(10));
}

#[test]
fn switching_a_policy_to_auto_asks_first_with_focus_on_cancel() {
    let (mut tui, _home) = demo(120, 36);
    let impossible_mode = |s: &str| {
        s.lines()
            .find(|l| l.contains("Impossible") && l.contains("ANOMALY"))
            .map(|l| l.contains("auto"))
    };
    tui.wait_for(20, "policies", |s| impossible_mode(s) == Some(false));
    tui.send("2");
    tui.send("M");
    let dialog = tui.wait_for(10, "the confirmation", |s| {
        s.contains("Switch to auto ]") && s.contains("would have acted on")
    });
    assert!(
        dialog.contains("▶ Cancel ◀"),
        "focus starts on Cancel:\n{dialog}"
    );
    assert!(
        dialog.contains("would have acted on"),
        "says what auto would have done:\n{dialog}"
    );
    tui.send("\r");
    // The screen arrives in chunks: wait for the whole policies row to be redrawn, not just the dialog gone.
    tui.wait_for(10, "the dialog gone and the policy still not auto", |s| {
        !s.contains("Switch to auto") && impossible_mode(s) == Some(false)
    });
    tui.send("M");
    tui.wait_for(10, "the confirmation again", |s| {
        s.contains("Switch to auto")
    });
    tui.send("\t");
    tui.wait_for(10, "focus on Switch", |s| s.contains("▶ Switch to auto ◀"));
    tui.send("\r");
    tui.wait_for(10, "the policy in auto", |s| {
        impossible_mode(s) == Some(true)
    });
    tui.send("q");
    assert!(tui.wait_exit(10));
}
