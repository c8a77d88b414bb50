//! What the list screens share (resources, credentials): a cursor over the
//! rows the search lets through, the search box, the box the rows are drawn
//! in (header, rows, then details and hints under a blank line), and where
//! each row is, so a click lands on the row drawn.

use super::widgets::{Input, Rows, bold, clear_search, fit, matches, move_cursor, search_key, search_keys, selected};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

#[derive(Debug, Default)]
pub struct ListView {
    pub cursor: usize,
    pub search: Input,
    pub searching: bool,
}

/// One drawing of a list screen.
pub struct ListFrame<'a> {
    /// The box's title, with its spaces: `" Resources "`.
    pub title: &'a str,
    pub header: String,
    /// Every row the search lets through, as text.
    pub rows: Vec<String>,
    /// Shown instead of rows when there are none.
    pub empty: &'a str,
    /// Lines about the selected row, under the rows (at most `detail_lines`).
    pub details: Vec<String>,
    /// The last line; the search text goes in front of it.
    pub hints: &'a str,
}

impl ListView {
    /// Whether the search box takes the keys.
    pub fn typing(&self) -> bool {
        self.searching
    }

    /// The footer's keys while the search box is open, else `keys`.
    pub fn keys(&self, keys: &str) -> String {
        search_keys(self.searching, &self.search, keys)
    }

    /// Whether a row's text passes the search.
    pub fn shows(&self, row: &str) -> bool {
        matches(&self.search.text, row)
    }

    /// The search box's keys while it is open, the moves, and `/` to open
    /// it, over `len` rows. True when the key was the list's.
    pub fn on_key(&mut self, key: KeyEvent, len: usize) -> bool {
        if search_key(&mut self.searching, &mut self.search, &mut self.cursor, key) {
            return true;
        }
        if clear_search(&mut self.search, &mut self.cursor, key) {
            return true;
        }
        if move_cursor(&mut self.cursor, len, key) {
            return true;
        }
        if key.code == KeyCode::Char('/') {
            self.searching = true;
            return true;
        }
        false
    }

    /// The rows' place in the box at `area`: under the header, above the
    /// blank line, `detail_lines` and the hints.
    pub fn rows(&self, area: Rect, detail_lines: u16) -> Rows {
        let inner = Block::bordered().inner(area);
        Rows::new(Rect { y: inner.y + 1, height: inner.height.saturating_sub(3 + detail_lines), ..inner }, self.cursor)
    }

    /// A click on one of `len` rows selects it.
    pub fn click(&mut self, column: u16, row: u16, area: Rect, detail_lines: u16, len: usize) {
        if let Some(i) = self.rows(area, detail_lines).hit(column, row, len) {
            self.cursor = i;
        }
    }

    /// Draws the box: header, the rows around the cursor (the selected one
    /// marked `>` and in reverse video), details, the search and the hints.
    pub fn draw(&self, frame: &mut Frame, area: Rect, detail_lines: u16, list: ListFrame) {
        let block = Block::bordered().title(list.title);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let width = inner.width as usize;
        let mut lines = vec![Line::styled(fit(&list.header, width), bold())];
        let rows = self.rows(area, detail_lines);
        for (i, row) in list.rows.iter().enumerate().skip(rows.start).take(rows.height()) {
            let focused = i == self.cursor;
            let line = Line::from(fit(&format!("{} {row}", if focused { ">" } else { " " }), width));
            lines.push(if focused { line.style(selected()) } else { line });
        }
        if list.rows.is_empty() {
            lines.push(Line::from(list.empty.to_string()));
        }
        lines.push(Line::from(""));
        lines.extend(list.details.iter().map(|d| Line::from(fit(d, width))));
        let search = if self.searching || !self.search.text.is_empty() {
            format!("/{}  ", self.search.shown(self.searching))
        } else {
            String::new()
        };
        lines.push(Line::from(format!("{search}{}", list.hints)));
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
