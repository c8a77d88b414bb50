//! What the two forms share (resource, credential): the focused row, the
//! text row being typed into, the keys that move between rows, and the
//! framed drawing (one `label value` line a row, then notes).

use super::widgets::{Input, form_line};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

/// A form's place: the focused row, and whether its text is being typed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FormNav {
    pub focus: usize,
    pub editing: bool,
}

/// What a key means to the form, once moves and leaving a text row are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKey {
    /// Done here (focus moved, or typing stopped).
    Handled,
    /// Esc: close the form.
    Close,
    /// Ctrl-S.
    Save,
    /// Enter or space on this row.
    Activate(usize),
    /// A key for the text of this row, being typed.
    Type(usize),
    /// Not a form key.
    Other,
}

impl FormNav {
    /// Handles a key for a form whose rows are `0..=last` (the last is its button).
    pub fn on_key(&mut self, key: KeyEvent, last: usize) -> FormKey {
        if self.editing {
            return match key.code {
                KeyCode::Enter | KeyCode::Esc | KeyCode::Tab => {
                    self.editing = false;
                    FormKey::Handled
                }
                _ => FormKey::Type(self.focus),
            };
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('s') {
            return FormKey::Save;
        }
        match key.code {
            KeyCode::Esc => FormKey::Close,
            KeyCode::Up | KeyCode::Char('k') | KeyCode::BackTab => {
                self.focus = self.focus.saturating_sub(1);
                FormKey::Handled
            }
            KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab => {
                self.focus = (self.focus + 1).min(last);
                FormKey::Handled
            }
            KeyCode::Enter | KeyCode::Char(' ') => FormKey::Activate(self.focus),
            _ => FormKey::Other,
        }
    }

    /// Whether `row`'s text is being typed.
    pub fn typing_in(&self, row: usize) -> bool {
        self.editing && self.focus == row
    }

    /// `input` as row `row` shows it (with a cursor while typed into).
    pub fn shown(&self, input: &Input, row: usize) -> String {
        input.shown(self.typing_in(row))
    }

    /// Draws the form in a box titled `title`: each (label, value) row, the
    /// focused one marked, a blank line, then `notes`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, title: &str, rows: Vec<(&str, String)>, notes: Vec<Line>) {
        let mut lines: Vec<Line> =
            rows.into_iter().enumerate().map(|(i, (label, value))| form_line(label, value, i == self.focus)).collect();
        lines.push(Line::from(""));
        lines.extend(notes);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(title.to_string())),
            area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{FormKey, FormNav};
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    #[test]
    fn keys_move_within_the_rows_and_typing_keeps_them_for_the_text() {
        let mut nav = FormNav::default();
        let key = |c| KeyEvent::from(c);
        assert_eq!(nav.on_key(key(KeyCode::Up), 2), FormKey::Handled);
        assert_eq!(nav.focus, 0);
        for _ in 0..5 {
            nav.on_key(key(KeyCode::Char('j')), 2);
        }
        assert_eq!(nav.focus, 2, "stops on the button");
        nav.on_key(key(KeyCode::BackTab), 2);
        assert_eq!(nav.on_key(key(KeyCode::Enter), 2), FormKey::Activate(1));
        nav.editing = true;
        assert_eq!(nav.on_key(key(KeyCode::Char('j')), 2), FormKey::Type(1), "j is typed, not a move");
        assert_eq!(nav.on_key(key(KeyCode::Esc), 2), FormKey::Handled);
        assert!(!nav.editing);
        assert_eq!(nav.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL), 2), FormKey::Save);
        assert_eq!(nav.on_key(key(KeyCode::Esc), 2), FormKey::Close);
        assert_eq!(nav.on_key(key(KeyCode::Char('z')), 2), FormKey::Other);
    }
}
