//! Defender's list-actions budget shared by the two kinds of reader: tracking (and crash recovery) and
//! dispatch's fresh reads. While both want it, each gets a guaranteed share of the reads; alone, either may
//! use all of it; and a reader told to wait always has a time to look again.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::api::{Call, Room};

use super::core::Ctx;

/// Who reads machines' actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reader {
    /// Following open actions, reconciling unsure intents.
    Tracking,
    /// The fresh read a dispatch decides on.
    Dispatch,
}

/// Reads per window each reader is guaranteed while both want the budget (dispatch 2 : tracking 1): dispatch
/// needs a read per turn of up to 16 machines, tracking reads every open action in one or a few calls.
const fn weight(reader: Reader) -> u32 {
    match reader {
        Reader::Tracking => 1,
        Reader::Dispatch => 2,
    }
}

/// The window the shares are counted over (Defender's per-minute quota).
const WINDOW: Duration = Duration::from_secs(60);
/// A reader held back for the other's share looks again this often (the other has read by then, or no
/// longer wants to).
const RECHECK: Duration = Duration::from_millis(250);
/// The longest a reader waits before asking again, whatever the budget's own wait.
const MAX_WAIT: Duration = Duration::from_secs(1);
/// A reader that has not asked for this long no longer wants the budget (every waiting reader asks again
/// within [`MAX_WAIT`]).
const STILL_WANTS: Duration = Duration::from_secs(2);

/// One reader's recent grants and when it last asked.
#[derive(Debug, Default)]
struct Side {
    grants: VecDeque<Instant>,
    asked_at: Option<Instant>,
}

impl Side {
    /// Reads granted within the `window` before `now`.
    fn used(&mut self, now: Instant, window: Duration) -> u32 {
        while self
            .grants
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= window)
        {
            self.grants.pop_front();
        }
        u32::try_from(self.grants.len()).unwrap_or(u32::MAX)
    }

    fn wants(&self, now: Instant, still: Duration) -> bool {
        self.asked_at
            .is_some_and(|at| now.saturating_duration_since(at) < still)
    }
}

/// The shares of the list-actions budget.
#[derive(Debug)]
pub(super) struct ReadShare {
    sides: Mutex<[Side; 2]>,
    /// Defender's seconds per real second: the window, waits and rechecks above are set in Defender's time
    /// and run this much shorter on a simulator's faster clock (whose quota windows are shorter alike).
    time_scale: f64,
}

impl Default for ReadShare {
    fn default() -> ReadShare {
        ReadShare::at_scale(1.0)
    }
}

fn index(reader: Reader) -> usize {
    match reader {
        Reader::Tracking => 0,
        Reader::Dispatch => 1,
    }
}

fn other(reader: Reader) -> Reader {
    match reader {
        Reader::Tracking => Reader::Dispatch,
        Reader::Dispatch => Reader::Tracking,
    }
}

impl ReadShare {
    /// The shares on a clock running `time_scale` times faster than real time (1 in production).
    pub fn at_scale(time_scale: f64) -> ReadShare {
        ReadShare {
            sides: Mutex::default(),
            time_scale: time_scale.max(1.0),
        }
    }

    fn paced(&self, pace: Duration) -> Duration {
        pace.div_f64(self.time_scale)
    }

    /// Whether `reader` may read now, given the budget's `room` (`None`: unlimited): `Ok` counts the read
    /// as granted; `Err` is how long to wait before asking again (never zero, never longer than
    /// [`MAX_WAIT`]). While the other reader wants the budget too (it asked within [`STILL_WANTS`]), a
    /// reader past its share of the window's reads takes only room beyond what the other's share still
    /// holds, so neither starves the other, and at least one of them may always read when there is room.
    pub fn grant(&self, reader: Reader, room: Option<Room>, now: Instant) -> Result<(), Duration> {
        let mut sides = self.sides.lock().unwrap_or_else(|p| p.into_inner());
        let (me, them) = (index(reader), index(other(reader)));
        sides[me].asked_at = Some(now);
        let Some(room) = room else {
            sides[me].grants.push_back(now);
            return Ok(());
        };
        if room.now == 0 {
            let longest = self.paced(MAX_WAIT).max(Duration::from_millis(1));
            return Err(room.next_in.clamp(Duration::from_millis(1), longest));
        }
        if sides[them].wants(now, self.paced(STILL_WANTS)) {
            let window = self.paced(WINDOW);
            let (mine, theirs) = (sides[me].used(now, window), sides[them].used(now, window));
            let whole = weight(reader) + weight(other(reader));
            // The window's reads as the budget sees them: those granted and the room left.
            let total = mine + theirs + room.now;
            let within_mine = mine * whole < total * weight(reader);
            let theirs_unmet = (total * weight(other(reader))).saturating_sub(theirs * whole);
            if !within_mine && room.now * whole <= theirs_unmet {
                return Err(self.paced(RECHECK));
            }
        }
        sides[me].grants.push_back(now);
        Ok(())
    }

    /// Waits until `reader` may read machines' actions (see [`ReadShare::grant`]).
    pub async fn take(&self, ctx: &Ctx, reader: Reader) {
        loop {
            let room = ctx.budgets.defender_room(Call::ListMachineActions);
            match self.grant(reader, room, ctx.clock.now_instant()) {
                Ok(()) => return,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }
}
