//! What the two forms share (resource, credential): the focused row, the
//! text row being typed into, the keys that move between rows, and the
//! framed drawing (one `label value` line a row, then notes).

use super::widgets::{Input, form_line, selected};
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
        // Ctrl-S saves what is typed so far, mid-edit too.
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('s') {
            self.editing = false;
            return FormKey::Save;
        }
        if self.editing {
            return match key.code {
                KeyCode::Enter | KeyCode::Esc | KeyCode::Tab => {
                    self.editing = false;
                    FormKey::Handled
                }
                _ => FormKey::Type(self.focus),
            };
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

    /// The footer's keys for a form: typing in a row, or moving between rows.
    pub fn keys(&self) -> String {
        if self.editing {
            "type · Enter/Tab/Esc done · Ctrl-S save".into()
        } else {
            "↑↓/Tab move · Enter edit/toggle · Ctrl-S save · Esc close".into()
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

    /// A left click at screen row `row` on the form drawn in `area` with
    /// these `rows`: focuses the row hit (typing elsewhere stops); a click on
    /// the focused row activates it, as Enter does.
    pub fn click(&mut self, row: u16, area: Rect, rows: &[(&str, String)]) -> FormKey {
        let mut top = area.y + 1;
        for (index, (_, value)) in rows.iter().enumerate() {
            let height = value_chunks(value, area.width).len() as u16;
            if (top..top + height).contains(&row) {
                if index != self.focus {
                    self.focus = index;
                    self.editing = false;
                    return FormKey::Handled;
                }
                return if self.editing { FormKey::Handled } else { FormKey::Activate(index) };
            }
            top += height;
        }
        FormKey::Other
    }

    /// Draws the form in a box titled `title`: each (label, value) row, the
    /// focused one marked, a blank line, then `notes`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, title: &str, rows: Vec<(&str, String)>, notes: Vec<Line>) {
        let mut lines: Vec<Line> = Vec::new();
        for (i, (label, value)) in rows.into_iter().enumerate() {
            let focused = i == self.focus;
            let mut chunks = value_chunks(&value, area.width).into_iter();
            lines.push(form_line(label, chunks.next().unwrap_or_default(), focused));
            for rest in chunks {
                let line = Line::from(format!("{:LABEL_WIDTH$}{rest}", ""));
                lines.push(if focused { line.style(selected()) } else { line });
            }
        }
        lines.push(Line::from(""));
        lines.extend(notes);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(title.to_string())),
            area,
        );
    }
}

/// The columns before a row's value: the focus marker and the label.
const LABEL_WIDTH: usize = 18;

/// A row's value cut into the lines it takes in a form box `box_width`
/// wide. The form wraps its rows itself (the notes are wrapped by the
/// paragraph), so a click maps exactly to the row drawn there.
fn value_chunks(value: &str, box_width: u16) -> Vec<String> {
    let width = usize::from(box_width).saturating_sub(2 + LABEL_WIDTH).max(1);
    let chars: Vec<char> = value.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(width).map(|chunk| chunk.iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::{FormKey, FormNav};
    use ratatui::layout::Rect;

    #[test]
    fn a_click_focuses_the_row_hit_and_a_second_click_activates_it() {
        let area = Rect::new(0, 1, 40, 20);
        // Values wider than the 20 columns left for them take two lines.
        let rows = vec![("Company", String::new()), ("Filter", "x".repeat(30)), ("Label", "y".into())];
        let mut nav = FormNav::default();
        assert_eq!(nav.click(2, area, &rows), FormKey::Activate(0), "row 0 is focused already");
        assert_eq!(nav.click(4, area, &rows), FormKey::Handled, "the second line of row 1");
        assert_eq!(nav.focus, 1);
        assert_eq!(nav.click(3, area, &rows), FormKey::Activate(1));
        assert_eq!(nav.click(5, area, &rows), FormKey::Handled);
        assert_eq!(nav.focus, 2, "below the wrapped row");
        nav.editing = true;
        assert_eq!(nav.click(5, area, &rows), FormKey::Handled, "a click on the row being typed in keeps typing");
        assert!(nav.editing);
        assert_eq!(nav.click(2, area, &rows), FormKey::Handled);
        assert!(!nav.editing && nav.focus == 0, "a click elsewhere stops typing");
        assert_eq!(nav.click(1, area, &rows), FormKey::Other, "the border");
        assert_eq!(nav.click(9, area, &rows), FormKey::Other, "the notes");
    }
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
        // Mid-edit too: Ctrl-S saves what is typed so far and stops typing.
        nav.editing = true;
        assert_eq!(nav.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL), 2), FormKey::Save);
        assert!(!nav.editing);
        assert_eq!(nav.on_key(key(KeyCode::Esc), 2), FormKey::Close);
        assert_eq!(nav.on_key(key(KeyCode::Char('z')), 2), FormKey::Other);
    }
}
