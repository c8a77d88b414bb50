//! Resources: the list, and from it the Add Resources wizard (pick several
//! models from Odoo's searchable model list, then one permission set), the
//! editor, and delete with confirmation.

use super::app::{Action, Ctx, Data, Loadable, ScreenId, Tag};
use super::list::{ListFrame, ListView};
use super::resource_form::ResourceForm;
use super::screen::{Click, Screen};
use super::widgets::{Input, Picked, Picker, centered, confirm, fit};
use crate::admin::api::{self, AddResources, ApiResult, ListResources, RemoveResource, ResourceView};
use crate::config::never;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use serde_json::Value;

/// What the screen is doing.
#[derive(Debug, Clone, Default)]
pub enum Mode {
    #[default]
    List,
    /// Wizard step 1: models from Odoo's list.
    PickModels(Picker),
    /// Wizard step 1 without a model list: names typed, space-separated.
    TypeModels(Input),
    Form(Box<ResourceForm>),
    ConfirmDelete {
        id: u64,
        model: String,
    },
}

#[derive(Debug, Default)]
pub struct ResourcesScreen {
    pub list: ListView,
    pub mode: Mode,
}

/// Lines between the rows and the hints: none.
const DETAIL_LINES: u16 = 0;

impl ResourcesScreen {
    pub fn visible<'a>(&self, data: &'a Data) -> Vec<&'a ResourceView> {
        data.resources.iter().filter(|r| self.list.shows(&row_text(r, MODEL_WIDTH))).collect()
    }

    /// Opens the wizard (also used by the setup wizard).
    pub fn start_wizard(&mut self, ctx: &mut Ctx) {
        ctx.want_models();
        self.mode = match &ctx.data.models {
            Loadable::Failed(_) => Mode::TypeModels(Input::default()),
            _ => Mode::PickModels(Picker::new(model_items(ctx.data), &[], true)),
        };
    }

    fn default_read_only(data: &Data) -> bool {
        data.settings.iter().any(|s| s.key == "default_read_only" && s.value == api::Scalar::Bool(true))
    }

    fn list_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        let visible = self.visible(ctx.data);
        if self.list.on_key(key, visible.len()) {
            return Action::None;
        }
        let current = visible.get(self.list.cursor).map(|v| (*v).clone());
        match key.code {
            KeyCode::Char('a') => self.start_wizard(ctx),
            KeyCode::Char('e') | KeyCode::Enter => {
                if let Some(view) = current {
                    let form = ResourceForm::edit(&view);
                    for model in form.models() {
                        ctx.want_fields(&model);
                    }
                    self.mode = Mode::Form(Box::new(form));
                }
            }
            KeyCode::Char('d') | KeyCode::Delete => {
                if let Some(view) = current {
                    self.mode = Mode::ConfirmDelete { id: view.id, model: view.model };
                }
            }
            _ => return Action::Unhandled,
        }
        Action::None
    }
}

impl Screen for ResourcesScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Resources
    }

    fn help(&self) -> &'static [&'static str] {
        &[
            "a        Add Resources wizard (several models, one permission set)",
            "Enter/e  edit · d remove (asks first)",
            "Ctrl-S   save a form, mid-edit too · Space toggles",
            "/        search · Esc clears it",
        ]
    }

    fn keys(&self) -> String {
        match &self.mode {
            Mode::List => self.list.keys("a add · Enter/e edit · d remove · / search"),
            Mode::PickModels(p) => p.keys(),
            Mode::TypeModels(_) => "type model names · Enter next · Esc cancel".into(),
            Mode::Form(f) => f.keys(),
            Mode::ConfirmDelete { .. } => "y yes · n/Esc no".into(),
        }
    }

    fn modal(&self) -> bool {
        !matches!(self.mode, Mode::List) || self.list.typing()
    }

    fn typing(&self) -> bool {
        match &self.mode {
            Mode::List => self.list.typing(),
            Mode::PickModels(p) => p.searching,
            Mode::TypeModels(_) => true,
            Mode::Form(f) => f.typing(),
            Mode::ConfirmDelete { .. } => false,
        }
    }

    /// Resources change elsewhere too (the CLI, another dashboard).
    fn live(&self) -> Option<Tag> {
        Some(Tag::Resources)
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        ctx.out.send(Tag::Resources, ListResources {});
    }

    /// The model list arrived (or failed): fill the wizard; a field list: the form.
    fn on_data(&mut self, tag: &Tag, data: &Data) {
        match (tag, &mut self.mode, &data.models) {
            (Tag::Models, Mode::PickModels(picker), Loadable::Ready(_)) => picker.items = model_items(data),
            (Tag::Models, Mode::PickModels(_), Loadable::Failed(_)) => self.mode = Mode::TypeModels(Input::default()),
            (Tag::Fields(_), Mode::Form(form), _) => form.on_fields(data),
            _ => {}
        }
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        let mode = std::mem::take(&mut self.mode);
        self.mode = match mode {
            Mode::List => return self.list_key(key, ctx),
            Mode::PickModels(mut picker) => match picker.on_key(key) {
                Picked::Open => Mode::PickModels(picker),
                Picked::Cancelled => Mode::List,
                Picked::Done if picker.chosen.is_empty() => Mode::PickModels(picker),
                Picked::Done => {
                    let models = picker.chosen();
                    Mode::Form(Box::new(ResourceForm::add(models, Self::default_read_only(ctx.data))))
                }
            },
            Mode::TypeModels(mut input) => match key.code {
                KeyCode::Esc => Mode::List,
                KeyCode::Enter => {
                    let models: Vec<String> =
                        input.text.split([' ', ',']).filter(|m| !m.is_empty()).map(String::from).collect();
                    if models.is_empty() {
                        Mode::TypeModels(input)
                    } else {
                        Mode::Form(Box::new(ResourceForm::add(models, Self::default_read_only(ctx.data))))
                    }
                }
                _ => {
                    input.on_key(key);
                    Mode::TypeModels(input)
                }
            },
            Mode::Form(mut form) => {
                if form.on_key(key, ctx) {
                    Mode::List
                } else {
                    Mode::Form(form)
                }
            }
            Mode::ConfirmDelete { id, model } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    ctx.out.send(Tag::RemoveResource, RemoveResource { resource: id.to_string() });
                    return Action::Say(format!("removing {model}…"));
                }
                KeyCode::Char('n') | KeyCode::Esc => Mode::List,
                _ => Mode::ConfirmDelete { id, model },
            },
        };
        Action::None
    }

    fn on_reply(&mut self, tag: &Tag, result: ApiResult<Value>, ctx: &mut Ctx) -> Option<String> {
        // An add answers the resources added; an edit or a removal, the one resource.
        let said = match (tag, &result) {
            (Tag::SaveResource, Ok(Value::Array(_))) => api::decode::<AddResources>(result).map(|added| {
                format!("added {}", added.iter().map(|r| r.model.as_str()).collect::<Vec<_>>().join(", "))
            }),
            (Tag::RemoveResource, _) => api::decode::<RemoveResource>(result)
                .map(|removed| format!("removed resource {} ({})", removed.id, removed.model)),
            _ => api::decode::<api::EditResource>(result)
                .map(|saved| format!("saved resource {} ({})", saved.id, saved.model)),
        };
        match said {
            Ok(said) => {
                ctx.out.send(Tag::Resources, ListResources {});
                self.mode = Mode::List;
                Some(said)
            }
            Err(e) => {
                if let Mode::Form(form) = &mut self.mode {
                    form.error = Some(e.message.clone());
                } else {
                    self.mode = Mode::List;
                }
                Some(format!("not saved: {}", e.message))
            }
        }
    }

    /// A click on a row of the list selects it; on the form, it focuses the
    /// row hit. True when the click asks to activate the form's focused row
    /// (the caller sends Enter). Dialogs take no clicks.
    fn click(&mut self, column: u16, row: u16, area: Rect, data: &Data) -> Click {
        match &mut self.mode {
            Mode::List => {
                let len = self.visible(data).len();
                self.list.click(column, row, area, DETAIL_LINES, len);
                Click::None
            }
            Mode::Form(form) => {
                if form.click(row, area) {
                    Click::Activate
                } else {
                    Click::None
                }
            }
            _ => Click::None,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, data: &Data) {
        if let Mode::Form(form) = &self.mode {
            form.draw(frame, area, data);
            return;
        }
        let model = model_width(area.width);
        let list = ListFrame {
            title: " Resources ",
            header: format!(
                "  {:<4} {:<model$} {:<7} {:<4} {:<OPERATIONS_WIDTH$} {}",
                "ID", "MODEL", "COMPANY", "RO", "OPERATIONS", "FIELDS / FILTER"
            ),
            rows: self.visible(data).into_iter().map(|r| row_text(r, model)).collect(),
            empty: "  No resources: AI clients see no model. Press a to add some.",
            details: Vec::new(),
            hints: "a add (wizard) · Enter/e edit · d remove · / search",
        };
        self.list.draw(frame, area, DETAIL_LINES, list);

        match &self.mode {
            Mode::PickModels(picker) => {
                let title = match &data.models {
                    Loadable::Loading | Loadable::NotAsked => "Add Resources 1/2: models (loading Odoo's list…)",
                    _ => "Add Resources 1/2: pick models",
                };
                picker.draw(frame, centered(area, 76, 20), title);
            }
            Mode::TypeModels(input) => {
                let rect = centered(area, 70, 7);
                frame.render_widget(Clear, rect);
                let reason = match &data.models {
                    Loadable::Failed(e) => e.clone(),
                    _ => String::new(),
                };
                let lines = vec![
                    Line::from(format!("models: {}", input.shown(true))),
                    Line::from("Type model names, space-separated; Enter next, Esc cancel."),
                    Line::from(format!("(no model list: {})", fit(&reason, 200))),
                ];
                frame.render_widget(
                    Paragraph::new(lines)
                        .wrap(Wrap { trim: true })
                        .block(Block::bordered().title(" Add Resources 1/2 ")),
                    rect,
                );
            }
            Mode::ConfirmDelete { id, model } => {
                confirm(frame, area, &format!("Delete resource {id} ({model})? AI clients lose access to it."))
            }
            _ => {}
        }
    }
}

/// Odoo's models, less those no resource may expose: the picker offers only
/// what registration would accept.
fn model_items(data: &Data) -> Vec<(String, String)> {
    data.models
        .ready()
        .map(|models| {
            models
                .iter()
                .filter(|m| never::model_reason(&m.model).is_none())
                .map(|m| (m.model.clone(), m.name.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The model column at 80 columns; a wider terminal gives it a third of
/// the extra width (the fields and filter column takes the rest).
const MODEL_WIDTH: usize = 22;
/// `read,create,write,delete`, the longest operations text, fits whole.
const OPERATIONS_WIDTH: usize = 24;

fn model_width(area_width: u16) -> usize {
    MODEL_WIDTH + usize::from(area_width.saturating_sub(80)) / 3
}

fn row_text(r: &ResourceView, model_width: usize) -> String {
    let company = r.company_id.map_or_else(|| "all".to_string(), |c| c.to_string());
    let policy = if r.fields.is_empty() {
        r.field_policy.clone()
    } else {
        format!("{}: {}", r.field_policy, r.fields.join(","))
    };
    let filter = if r.record_filter_error.is_some() {
        format!("BROKEN FILTER, refuses all requests: {}", r.record_filter)
    } else {
        r.record_filter.clone()
    };
    format!(
        "{:<4} {:<model_width$} {:<7} {:<4} {:<OPERATIONS_WIDTH$} {}{}",
        r.id,
        fit(&r.model, model_width),
        company,
        if r.read_only { "yes" } else { "no" },
        r.effective_operations.join(","),
        policy,
        if filter.is_empty() { String::new() } else { format!(" {filter}") }
    )
}
