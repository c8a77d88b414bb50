//! `alpenglow tui`: the terminal dashboard. It talks to the running daemon
//! over the admin socket only (the daemon holds the store), from a worker
//! thread, so keys and drawing never wait on the daemon or on Odoo.
//!
//! Screens are components (`home`, `settings`, `resources`, `credentials`,
//! `audit`, `sessions`, `setup`, `oauth`, `approvals`), each a [`screen::Screen`]: it keeps its own
//! state, handles its keys and answers, and draws from that state without
//! changing it. `app` routes keys and answers to the screen shown; `view`
//! draws the frame; this file runs the terminal loop (keys, paste and the
//! mouse: clicks on tabs, quick actions and rows, the wheel).

pub mod app;
pub mod approval_detail;
pub mod approvals;
pub mod audit;
pub mod credential_form;
pub mod credentials;
pub mod form;
pub mod home;
pub mod list;
pub mod oauth;
pub mod resource_form;
pub mod resources;
pub mod screen;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod view;
pub mod widgets;
pub mod worker;

use crate::admin_socket::AdminClient;
use app::App;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use ratatui::crossterm::execute;
use std::time::Duration;

/// Runs the dashboard over `client`: the daemon's admin socket, the only
/// thing it needs (not the config file, which this user may not read).
pub fn run(client: AdminClient) -> Result<(), String> {
    let worker = worker::Worker::start(client);
    let mut terminal = ratatui::try_init().map_err(|e| format!("cannot use this terminal: {e}"))?;
    // Mouse reporting is switched off again on every way out, a panic included.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        hook(info);
    }));
    let result = execute!(std::io::stdout(), EnableMouseCapture)
        .map_err(|e| format!("cannot use this terminal: {e}"))
        .and_then(|()| event_loop(&mut terminal, &worker));
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

fn event_loop(terminal: &mut ratatui::DefaultTerminal, worker: &worker::Worker) -> Result<(), String> {
    let mut app = App::new();
    app.start();
    loop {
        for request in app.take_requests() {
            worker.send(request).map_err(|e| e.message)?;
        }
        let size = terminal.size().map_err(|e| e.to_string())?;
        app.area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
        terminal.draw(|frame| view::draw(frame, &app)).map_err(|e| e.to_string())?;
        if app.quit {
            return Ok(());
        }
        // Wait up to a tick for a key, then take whatever answers arrived.
        if event::poll(Duration::from_millis(100)).map_err(|e| e.to_string())? {
            match event::read().map_err(|e| e.to_string())? {
                Event::Key(key) if key.kind != KeyEventKind::Release => app.on_key(key),
                Event::Paste(text) => app.on_paste(&text),
                Event::Mouse(mouse) => app.on_mouse(mouse),
                _ => {}
            }
        } else {
            app.on_tick();
        }
        for event in worker.ready() {
            app.on_event(event);
        }
    }
}
