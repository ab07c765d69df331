//! A cheap estimate of the bytes the engine's largest collections hold, for the sizes line: every
//! [`SAMPLE_EVERY`]th element's JSON length, scaled up (a lower bound of its heap share, good enough to rank).

use serde::Serialize;

/// One element in this many is measured.
const SAMPLE_EVERY: usize = 8;

/// The estimated bytes of `items`, measured on every [`SAMPLE_EVERY`]th one as `measure` says.
pub(super) fn sampled_bytes<'a, T: 'a>(
    items: impl IntoIterator<Item = &'a T>,
    measure: impl Fn(&T) -> usize,
) -> usize {
    let mut total = 0;
    let mut counted = 0;
    let mut seen = 0;
    for item in items {
        if seen % SAMPLE_EVERY == 0 {
            total += measure(item);
            counted += 1;
        }
        seen += 1;
    }
    if counted == 0 {
        return 0;
    }
    total * seen / counted
}

/// The JSON length of `value` (0 when it does not serialize).
pub(super) fn json_len(value: &impl Serialize) -> usize {
    serde_json::to_vec(value).map_or(0, |bytes| bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_is_scaled_to_the_whole() {
        let items: Vec<String> = (0..80).map(|_| "x".repeat(10)).collect();
        assert_eq!(sampled_bytes(&items, |s| s.len()), 800);
        assert_eq!(sampled_bytes(&Vec::<String>::new(), |s| s.len()), 0);
        assert_eq!(json_len(&serde_json::json!({"a": 1})), 7);
    }
}
