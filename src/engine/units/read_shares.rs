//! Defender's list-actions budget between tracking and dispatch: alone a reader may use all of it; while
//! both want it, neither starves the other (each gets its share however often the other asks); every wait
//! has a time to look again.

use std::time::{Duration, Instant};

use super::super::read_share::{ReadShare, Reader};
use crate::api::Room;

fn room(now: u32) -> Option<Room> {
    Some(Room {
        now,
        next_in: if now == 0 {
            Duration::from_secs(7)
        } else {
            Duration::ZERO
        },
    })
}

/// Both readers asking at every tick of 100 ms for `ticks`, the budget freeing one read per tick (room 1
/// at each tick, spent by the first granted); tracking asks `tracking_asks` times per tick. Returns the
/// reads granted to tracking and to dispatch.
fn contend(share: &ReadShare, ticks: u32, tracking_asks: u32) -> (u32, u32) {
    let start = Instant::now();
    let (mut tracking, mut dispatch) = (0, 0);
    for tick in 0..ticks {
        let now = start + Duration::from_millis(100) * tick;
        let mut free = 1;
        for _ in 0..tracking_asks {
            if share.grant(Reader::Tracking, room(free), now).is_ok() {
                tracking += 1;
                free = 0;
            }
        }
        if share.grant(Reader::Dispatch, room(free), now).is_ok() {
            dispatch += 1;
        }
    }
    (tracking, dispatch)
}

#[test]
fn a_reader_alone_may_use_the_whole_budget() {
    let share = ReadShare::default();
    let now = Instant::now();
    for _ in 0..100 {
        assert_eq!(share.grant(Reader::Tracking, room(100), now), Ok(()));
    }
    assert_eq!(
        share.grant(Reader::Dispatch, room(100), now),
        Ok(()),
        "dispatch after tracking's burst, while tracking waits for nothing"
    );
}

#[test]
fn tracking_asking_ten_times_as_often_never_starves_dispatch() {
    let (tracking, dispatch) = contend(&ReadShare::default(), 600, 10);
    assert!(
        dispatch >= 390 && tracking >= 190,
        "one minute of a trickling budget: dispatch {dispatch}, tracking {tracking} (2 : 1 shares)"
    );
}

#[test]
fn dispatch_never_starves_tracking() {
    let share = ReadShare::default();
    let start = Instant::now();
    let (mut tracking, mut dispatch) = (0, 0);
    for tick in 0..600u32 {
        let now = start + Duration::from_millis(100) * tick;
        let mut free = 1;
        // Dispatch asks first at every tick, several turns at once.
        for _ in 0..4 {
            if share.grant(Reader::Dispatch, room(free), now).is_ok() {
                dispatch += 1;
                free = 0;
            }
        }
        if share.grant(Reader::Tracking, room(free), now).is_ok() {
            tracking += 1;
        }
    }
    assert!(tracking >= 190, "tracking {tracking}, dispatch {dispatch}");
}

/// Grants `reader` reads at `now` with `room` left until it is refused; how many it got, and the wait.
fn grants_until_refused(
    share: &ReadShare,
    reader: Reader,
    room_now: u32,
    now: Instant,
) -> (u32, Duration) {
    let mut granted = 0;
    loop {
        match share.grant(reader, room(room_now), now) {
            Ok(()) => granted += 1,
            Err(wait) => return (granted, wait),
        }
        assert!(granted < 1000, "never refused");
    }
}

#[test]
fn every_wait_has_a_time_to_look_again() {
    let share = ReadShare::default();
    let now = Instant::now();
    let wait = share
        .grant(Reader::Dispatch, room(0), now)
        .expect_err("no room");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(1),
        "{wait:?}: the budget's 7 s capped, so the share is judged again"
    );
    let (granted, held) = grants_until_refused(&share, Reader::Tracking, 20, now);
    assert_eq!(
        granted, 10,
        "while dispatch waits, tracking leaves it two thirds of the window (the 20 left of 30)"
    );
    assert!(
        held > Duration::ZERO && held <= Duration::from_secs(1),
        "{held:?}"
    );
    assert_eq!(share.grant(Reader::Dispatch, room(20), now), Ok(()));
}

#[test]
fn a_reader_that_stopped_asking_no_longer_holds_the_other_back() {
    let share = ReadShare::default();
    let now = Instant::now();
    assert!(share.grant(Reader::Dispatch, room(0), now).is_err());
    let (granted, _) = grants_until_refused(&share, Reader::Tracking, 9, now);
    assert_eq!(
        granted, 5,
        "a third of the 14 reads of the window, and what dispatch cannot miss"
    );
    let later = now + Duration::from_secs(3);
    assert_eq!(
        share.grant(Reader::Tracking, room(9), later),
        Ok(()),
        "dispatch asked 3 s ago: it no longer waits"
    );
}
