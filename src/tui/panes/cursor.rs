//! Selection and scroll position of one list.

/// Selection and scroll position of one list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

impl Cursor {
    /// Keeps the selection inside `len` rows.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    /// Moves by `delta` rows within `len`.
    pub fn step(&mut self, delta: isize, len: usize) {
        let target = self.selected.saturating_add_signed(delta);
        self.selected = target.min(len.saturating_sub(1));
    }

    /// Scrolls so the selection is inside a window of `height` rows; returns the visible range.
    pub fn window(&mut self, len: usize, height: usize) -> std::ops::Range<usize> {
        self.clamp(len);
        if height == 0 {
            return 0..0;
        }
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
        self.offset..(self.offset + height).min(len)
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn window_follows_the_selection() {
        let mut c = Cursor::default();
        assert_eq!(c.window(100, 10), 0..10);
        c.selected = 15;
        assert_eq!(c.window(100, 10), 6..16);
        c.selected = 3;
        assert_eq!(c.window(100, 10), 3..13);
        c.selected = 500;
        assert_eq!(c.window(100, 10), 90..100);
        assert_eq!(c.window(0, 10), 0..0);
    }
}
