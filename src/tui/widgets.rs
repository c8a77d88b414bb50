//! Pieces the screens share: a one-line text input, a searchable picker
//! (one or several items), a selectable list cursor, and drawing helpers
//! that stay readable without colour (reverse video and markers, not hues).

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use std::collections::BTreeSet;

/// The selected row, in reverse video so it shows on any terminal.
pub fn selected() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

pub fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

/// Whether to draw in colour: not with `NO_COLOR` set (no-color.org) nor on
/// a dumb terminal.
pub fn colour() -> bool {
    static COLOUR: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *COLOUR.get_or_init(|| {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var("TERM").ok().as_deref() != Some("dumb")
    })
}

/// Errors and the disconnected banner: bold red, or bold reverse video
/// without colour, so they are not missed.
pub fn alert() -> Style {
    if colour() { bold().fg(Color::Red) } else { bold().add_modifier(Modifier::REVERSED) }
}

/// What was fetched before the daemon went away: dimmed (grey in colour).
pub fn stale() -> Style {
    let dim = Style::default().add_modifier(Modifier::DIM);
    if colour() { dim.fg(Color::DarkGray) } else { dim }
}

/// One line of editable text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub text: String,
    /// Cursor position in characters.
    cursor: usize,
    /// Shown as dots (API keys).
    pub masked: bool,
}

impl Input {
    pub fn new(text: &str) -> Input {
        Input { text: text.to_string(), cursor: text.chars().count(), masked: false }
    }

    pub fn masked() -> Input {
        Input { masked: true, ..Input::default() }
    }

    pub fn set(&mut self, text: &str) {
        self.text = text.to_string();
        self.cursor = text.chars().count();
    }

    /// Edits on a key; false when the key is not an editing key.
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        let len = self.text.chars().count();
        let byte = |s: &str, i: usize| s.char_indices().nth(i).map_or(s.len(), |(b, _)| b);
        match key.code {
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.text.clear();
                self.cursor = 0;
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                let at = byte(&self.text, self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let at = byte(&self.text, self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
            }
            KeyCode::Delete if self.cursor < len => {
                let at = byte(&self.text, self.cursor);
                self.text.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }

    /// The text as shown; a focused input shows its cursor as `_` or `|`.
    pub fn shown(&self, focused: bool) -> String {
        let visible: String = if self.masked { "•".repeat(self.text.chars().count()) } else { self.text.clone() };
        if !focused {
            return visible;
        }
        let mut out: String = visible.chars().take(self.cursor).collect();
        out.push('▏');
        out.extend(visible.chars().skip(self.cursor));
        out
    }
}

/// A cursor over a list of `len` rows.
pub fn move_cursor(cursor: &mut usize, len: usize, key: KeyEvent) -> bool {
    let last = len.saturating_sub(1);
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => *cursor = cursor.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => *cursor = (*cursor + 1).min(last),
        KeyCode::PageUp => *cursor = cursor.saturating_sub(10),
        KeyCode::PageDown => *cursor = (*cursor + 10).min(last),
        KeyCode::Home | KeyCode::Char('g') => *cursor = 0,
        KeyCode::End | KeyCode::Char('G') => *cursor = last,
        _ => return false,
    }
    true
}

/// Where a list's rows are on screen: `area` holds one item a line, and
/// the items from `start` are shown so the cursor stays in view. Drawing
/// and mouse clicks use the same value, so a click lands on the row drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    pub area: Rect,
    pub start: usize,
}

impl Rows {
    pub fn new(area: Rect, cursor: usize) -> Rows {
        let height = area.height as usize;
        Rows { area, start: cursor.saturating_sub(height.saturating_sub(1)) }
    }

    pub fn height(&self) -> usize {
        self.area.height as usize
    }

    /// The item under screen cell (`column`, `row`), if one of `len` items is drawn there.
    pub fn hit(&self, column: u16, row: u16, len: usize) -> Option<usize> {
        let a = self.area;
        if column < a.x || column >= a.x + a.width || row < a.y || row >= a.y + a.height {
            return None;
        }
        Some(self.start + (row - a.y) as usize).filter(|&i| i < len)
    }
}

/// Whether a screen cell is inside `area`.
pub fn inside(area: Rect, column: u16, row: u16) -> bool {
    column >= area.x && column < area.x + area.width && row >= area.y && row < area.y + area.height
}

/// Ctrl-S: save.
pub fn is_ctrl_s(key: KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('s')
}

/// Whether `row` matches a search text (case-insensitive, every word).
/// Feeds a key to a list's search box while it is open (Enter or Esc closes
/// it; typing filters and puts the cursor back on the first row). Returns
/// whether the key was the search box's.
pub fn search_key(searching: &mut bool, search: &mut Input, cursor: &mut usize, key: KeyEvent) -> bool {
    if !*searching {
        return false;
    }
    match key.code {
        KeyCode::Enter | KeyCode::Esc => *searching = false,
        _ => {
            search.on_key(key);
            *cursor = 0;
        }
    }
    true
}

/// Esc with a search typed (and its box closed) clears the search, before
/// Esc means "back". Returns whether it did.
pub fn clear_search(search: &mut Input, cursor: &mut usize, key: KeyEvent) -> bool {
    if key.code == KeyCode::Esc && !search.text.is_empty() {
        search.set("");
        *cursor = 0;
        return true;
    }
    false
}

/// The footer's keys of a searchable list: the search box's while it is
/// open, else `keys` (with Esc clearing a search that filters).
pub fn search_keys(searching: bool, search: &Input, keys: &str) -> String {
    if searching {
        "type to search · Enter keep · Esc close".into()
    } else if !search.text.is_empty() {
        format!("{keys} · Esc clear search")
    } else {
        keys.to_string()
    }
}

pub fn matches(query: &str, row: &str) -> bool {
    let row = row.to_lowercase();
    query.split_whitespace().all(|word| row.contains(&word.to_lowercase()))
}

/// What a picker's key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picked {
    Open,
    Done,
    Cancelled,
}

/// A searchable list to pick one or several items from: `/` searches,
/// space toggles, Enter accepts, Esc cancels.
#[derive(Debug, Clone, Default)]
pub struct Picker {
    /// (key, description).
    pub items: Vec<(String, String)>,
    pub chosen: BTreeSet<String>,
    pub query: Input,
    pub searching: bool,
    pub cursor: usize,
    pub multi: bool,
}

impl Picker {
    pub fn new(items: Vec<(String, String)>, chosen: &[String], multi: bool) -> Picker {
        Picker { items, chosen: chosen.iter().cloned().collect(), multi, ..Picker::default() }
    }

    /// Indexes of the items the search lets through.
    pub fn visible(&self) -> Vec<usize> {
        (0..self.items.len())
            .filter(|&i| matches(&self.query.text, &format!("{} {}", self.items[i].0, self.items[i].1)))
            .collect()
    }

    pub fn current(&self) -> Option<&str> {
        self.visible().get(self.cursor).map(|&i| self.items[i].0.as_str())
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Picked {
        if self.searching {
            match key.code {
                KeyCode::Enter | KeyCode::Esc | KeyCode::Down | KeyCode::Tab => self.searching = false,
                _ => {
                    self.query.on_key(key);
                    self.cursor = 0;
                }
            }
            return Picked::Open;
        }
        let visible = self.visible();
        if move_cursor(&mut self.cursor, visible.len(), key) {
            return Picked::Open;
        }
        match key.code {
            KeyCode::Char('/') => self.searching = true,
            KeyCode::Char(' ') => {
                if let Some(item) = self.current().map(str::to_string) {
                    if !self.multi {
                        self.chosen.clear();
                    }
                    if !self.chosen.remove(&item) {
                        self.chosen.insert(item);
                    }
                }
            }
            KeyCode::Enter => {
                // Enter alone picks the row under the cursor.
                if (!self.multi || self.chosen.is_empty())
                    && let Some(item) = self.current().map(str::to_string)
                {
                    if !self.multi {
                        self.chosen.clear();
                    }
                    self.chosen.insert(item);
                }
                return Picked::Done;
            }
            KeyCode::Esc => return Picked::Cancelled,
            _ => {}
        }
        Picked::Open
    }

    /// The footer's keys.
    pub fn keys(&self) -> String {
        if self.searching {
            "type to search · Enter/↓ keep · Esc close".into()
        } else if self.multi {
            "Space pick · Enter done · / search · Esc cancel".into()
        } else {
            "Enter pick · / search · Esc cancel".into()
        }
    }

    pub fn chosen(&self) -> Vec<String> {
        self.chosen.iter().cloned().collect()
    }

    /// Draws the picker in `area`: search line, then the rows.
    pub fn draw(&self, frame: &mut Frame, area: Rect, title: &str) {
        frame.render_widget(Clear, area);
        let block = Block::bordered().title(format!(" {title} "));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [search, list, hint] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        let query = if self.searching || !self.query.text.is_empty() {
            format!("/{}", self.query.shown(self.searching))
        } else {
            "/ to search".to_string()
        };
        frame.render_widget(Paragraph::new(format!("{query}   {} chosen", self.chosen.len())), search);
        let visible = self.visible();
        let height = list.height as usize;
        let start = self.cursor.saturating_sub(height.saturating_sub(1));
        let lines: Vec<Line> = visible
            .iter()
            .enumerate()
            .skip(start)
            .take(height)
            .map(|(row, &i)| {
                let (key, label) = &self.items[i];
                let mark = if self.chosen.contains(key) { "[x]" } else { "[ ]" };
                let line = Line::from(format!("{mark} {key:<28} {label}"));
                if row == self.cursor { line.style(selected()) } else { line }
            })
            .collect();
        let lines = if lines.is_empty() { vec![Line::from("(nothing matches)")] } else { lines };
        frame.render_widget(Paragraph::new(lines), list);
        let keys = if self.multi { "space pick · Enter done · Esc cancel" } else { "Enter pick · Esc cancel" };
        frame.render_widget(Paragraph::new(keys), hint);
    }
}

/// A box in the middle of `area`, at most `width` × `height`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// A confirmation box: `question`, then the y/N hint, the box as tall as
/// the wrapped question needs so the hint is never pushed out.
pub fn confirm(frame: &mut Frame, area: Rect, question: &str) {
    let width = 60.min(area.width);
    let mut lines: Vec<Line> =
        wrap_words(question, width.saturating_sub(2) as usize).into_iter().map(Line::from).collect();
    lines.extend([Line::from(""), Line::styled("y yes · n / Esc no", bold())]);
    let rect = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Confirm ")), rect);
}

/// `label: value` with the label padded, for forms; the focused row is marked.
pub fn form_line(label: &str, value: String, focused: bool) -> Line<'static> {
    let marker = if focused { "> " } else { "  " };
    let line = Line::from(vec![Span::raw(marker), Span::styled(format!("{label:<16}"), bold()), Span::raw(value)]);
    if focused { line.style(selected()) } else { line }
}

/// Breaks `text` into lines of at most `width` characters at spaces (a
/// longer word is cut), so a caller knows the height before drawing.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed =
            if line.is_empty() { word.chars().count() } else { line.chars().count() + 1 + word.chars().count() };
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            let rest: String = line.chars().skip(width).collect();
            lines.push(line.chars().take(width).collect());
            line = rest;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Cuts `text` to `width` characters, marking the cut with `…`.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::{Rows, wrap_words};
    use ratatui::layout::Rect;

    #[test]
    fn rows_keep_the_cursor_in_view_and_hit_only_drawn_items() {
        let area = Rect { x: 1, y: 3, width: 10, height: 4 };
        let rows = Rows::new(area, 6);
        assert_eq!(rows.start, 3);
        assert_eq!(rows.hit(1, 3, 20), Some(3));
        assert_eq!(rows.hit(10, 6, 20), Some(6));
        assert_eq!(rows.hit(11, 6, 20), None, "right of the list");
        assert_eq!(rows.hit(5, 7, 20), None, "below the list");
        assert_eq!(rows.hit(5, 2, 20), None, "above the list");
        assert_eq!(Rows::new(area, 0).hit(5, 5, 2), None, "past the last item");
    }

    #[test]
    fn wrap_words_breaks_at_spaces_and_cuts_only_overlong_words() {
        assert_eq!(wrap_words("require credential is off", 12), ["require", "credential", "is off"]);
        assert_eq!(wrap_words("abcdefghij kl", 4), ["abcd", "efgh", "ij", "kl"]);
        assert_eq!(wrap_words("", 10), Vec::<String>::new());
        assert!(wrap_words("a b c d e f g h", 3).iter().all(|l| l.chars().count() <= 3));
    }
}
