//! What every screen of the dashboard is, as gitui's components are: its own
//! state, its keys, the answers it asked for, clicks on what it drew, and
//! `draw`, which reads the state and never changes it; plus its title and
//! its help. The app holds one of each, routes to the one shown, and knows
//! nothing of their insides.

use super::app::{Action, Ctx, Data, ScreenId, Tag};
use crate::admin::api::ApiResult;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use serde_json::Value;

/// What a click on a screen asks of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Click {
    /// Nothing more (a row may have been selected).
    None,
    /// A second click on a form's focused row: do what Enter does there.
    Activate,
    /// Show another screen (Home's quick actions).
    Go(ScreenId),
}

pub trait Screen {
    /// Which screen this is: its tab, and where its answers go.
    fn id(&self) -> ScreenId;

    /// The title of its box and of its help.
    fn title(&self) -> &'static str {
        self.id().title()
    }

    /// Its own keys, for the help overlay (the global ones follow them).
    fn help(&self) -> &'static [&'static str];

    /// The keys that work now (its list, form, pane or dialog), for the
    /// footer; the app adds the global ones unless text is being typed.
    fn keys(&self) -> String {
        String::new()
    }

    /// Whether a form, picker, prompt or dialog has every key (the app's
    /// global keys, but Ctrl-R and Ctrl-C, do not apply; the footer says so).
    fn modal(&self) -> bool {
        self.typing()
    }

    /// Whether it is taking typed text (the app's letter keys are off).
    fn typing(&self) -> bool {
        false
    }

    /// It is being shown: load what it shows.
    fn on_enter(&mut self, _ctx: &mut Ctx) {}

    /// The answer it refreshes every two seconds while shown, if any.
    fn live(&self) -> Option<Tag> {
        None
    }

    /// Asks again for what it shows (the tick, when [`Screen::live`] is idle).
    fn refresh(&mut self, _ctx: &mut Ctx) {}

    fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action;

    /// An answer to one of its own requests; the text goes to the status line.
    fn on_reply(&mut self, _tag: &Tag, _result: ApiResult<Value>, _ctx: &mut Ctx) -> Option<String> {
        None
    }

    /// Shared data arrived (`tag` says which): Odoo's models, fields, users.
    fn on_data(&mut self, _tag: &Tag, _data: &Data) {}

    /// A left click at (`column`, `row`) on the screen drawn in `area`.
    fn click(&mut self, _column: u16, _row: u16, _area: Rect, _data: &Data) -> Click {
        Click::None
    }

    fn draw(&self, frame: &mut Frame, area: Rect, data: &Data);
}
