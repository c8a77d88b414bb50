//! The resource form: one permission set, for a resource being edited or for
//! the models the Add Resources wizard picked. Field policy fields are picked
//! from the model's real field list; the record filter is parsed as it is
//! typed. Saving sends one `resources.add` or `resources.edit`.

use super::app::{Ctx, Data, Loadable, Tag};
use super::form::{FormKey, FormNav};
use super::widgets::{Input, Picked, Picker, bold};
use crate::admin::api::{AddResources, EditResource, ResourcePatch, ResourceView};
use crate::domain::Domain;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;

/// Adding the wizard's models, or editing one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormMode {
    Add(Vec<String>),
    Edit { id: u64, model: String },
}

const ROWS: [&str; 11] = [
    "Company",
    "Read-Only",
    "Can Read",
    "Can Create",
    "Can Write",
    "Can Delete",
    "Field Policy",
    "Fields",
    "Record Filter",
    "Execute",
    "[ Save ]",
];
const POLICIES: [&str; 3] = ["all", "allowlist", "denylist"];
const SAVE: usize = 10;

#[derive(Debug, Clone)]
pub struct ResourceForm {
    pub mode: FormMode,
    pub nav: FormNav,
    pub company: Input,
    pub read_only: bool,
    /// read, create, write, delete.
    pub ops: [bool; 4],
    pub policy: usize,
    pub fields: Vec<String>,
    /// Typed fields, when the model's field list cannot be had.
    pub fields_text: Input,
    pub filter: Input,
    pub filter_error: Option<String>,
    pub execute: Input,
    pub picker: Option<Picker>,
    pub error: Option<String>,
}

impl ResourceForm {
    /// A form for new resources: the Default Read-Only setting, read only.
    pub fn add(models: Vec<String>, default_read_only: bool) -> ResourceForm {
        ResourceForm {
            mode: FormMode::Add(models),
            nav: FormNav::default(),
            company: Input::default(),
            read_only: default_read_only,
            ops: [true, false, false, false],
            policy: 0,
            fields: Vec::new(),
            fields_text: Input::default(),
            filter: Input::default(),
            filter_error: None,
            execute: Input::default(),
            picker: None,
            error: None,
        }
    }

    /// A form filled from a resource's view.
    pub fn edit(view: &ResourceView) -> ResourceForm {
        let mut form = ResourceForm::add(Vec::new(), view.read_only);
        form.mode = FormMode::Edit { id: view.id, model: view.model.clone() };
        form.company = Input::new(&view.company_id.map(|c| c.to_string()).unwrap_or_default());
        form.ops = [view.can_read, view.can_create, view.can_write, view.can_delete];
        form.policy = POLICIES.iter().position(|p| view.field_policy == *p).unwrap_or(0);
        form.fields = view.fields.clone();
        form.fields_text = Input::new(&form.fields.join(","));
        form.filter = Input::new(&view.record_filter);
        form.execute = Input::new(&view.execute_methods.join(","));
        form
    }

    pub fn models(&self) -> Vec<String> {
        match &self.mode {
            FormMode::Add(models) => models.clone(),
            FormMode::Edit { model, .. } => vec![model.clone()],
        }
    }

    /// The footer's keys: the open picker's, else the form's.
    pub fn keys(&self) -> String {
        match &self.picker {
            Some(picker) => picker.keys(),
            None => self.nav.keys(),
        }
    }

    pub fn typing(&self) -> bool {
        self.nav.editing || self.picker.as_ref().is_some_and(|p| p.searching)
    }

    /// The fields Odoo lists for the form's models, if it could.
    fn field_items(&self, data: &Data) -> Option<Vec<(String, String)>> {
        let mut items: Vec<(String, String)> = Vec::new();
        for model in self.models() {
            let Some(Loadable::Ready(fields)) = data.fields.get(&model) else { return None };
            for field in fields {
                if !items.iter().any(|(n, _)| *n == field.name) {
                    let (label, kind) = (field.string.as_deref().unwrap_or(""), field.kind.as_deref().unwrap_or(""));
                    items.push((field.name.clone(), format!("{label} ({kind})")));
                }
            }
        }
        items.sort();
        Some(items)
    }

    /// A field list arrived: fill an open picker; when Odoo could not give
    /// one (no service key, Odoo down), the picker gives way to typing.
    pub fn on_fields(&mut self, data: &Data) {
        let items = self.field_items(data);
        if let (Some(picker), Some(items)) = (&mut self.picker, items) {
            picker.items = items;
        }
        if self.picker.is_some() && !self.fields_from_list(data) {
            self.picker = None;
            self.nav.focus = 7;
            self.nav.editing = true;
            self.error = Some("Odoo's field list is not available: type the field names, comma-separated".into());
        }
    }

    /// Checks the record filter as typed.
    pub fn check_filter(&mut self) {
        self.filter_error = Domain::parse_text(&self.filter.text).err().map(|e| e.to_string());
    }

    fn fields_from_list(&self, data: &Data) -> bool {
        self.models().iter().all(|m| !matches!(data.fields.get(m), Some(Loadable::Failed(_))))
    }

    /// Handles a key; true when the form wants to close without saving.
    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> bool {
        if let Some(picker) = &mut self.picker {
            match picker.on_key(key) {
                Picked::Open => {}
                Picked::Done => {
                    self.fields = picker.chosen();
                    self.fields_text = Input::new(&self.fields.join(","));
                    self.picker = None;
                }
                Picked::Cancelled => self.picker = None,
            }
            return false;
        }
        match self.nav.on_key(key, SAVE) {
            FormKey::Handled | FormKey::Other => {}
            FormKey::Close => return true,
            FormKey::Save => self.save(ctx),
            FormKey::Type(row) => {
                let input = match row {
                    0 => &mut self.company,
                    7 => &mut self.fields_text,
                    8 => &mut self.filter,
                    _ => &mut self.execute,
                };
                input.on_key(key);
                if row == 8 {
                    self.check_filter();
                }
                if row == 7 {
                    self.fields = split(&self.fields_text.text);
                }
            }
            FormKey::Activate(row) => match row {
                0 | 8 | 9 => self.nav.editing = true,
                1 => self.read_only = !self.read_only,
                2..=5 => self.ops[row - 2] = !self.ops[row - 2],
                6 => self.policy = (self.policy + 1) % POLICIES.len(),
                7 => self.open_fields(ctx),
                _ => self.save(ctx),
            },
        }
        false
    }

    fn open_fields(&mut self, ctx: &mut Ctx) {
        if self.policy == 0 {
            self.error = Some("field policy is all: pick allowlist or denylist first".into());
            return;
        }
        for model in self.models() {
            ctx.want_fields(&model);
        }
        if self.fields_from_list(ctx.data) {
            let mut picker = Picker::new(Vec::new(), &self.fields, true);
            if let Some(items) = self.field_items(ctx.data) {
                picker.items = items;
            }
            self.picker = Some(picker);
        } else {
            // No field list from Odoo: type the names.
            self.nav.editing = true;
        }
    }

    /// The permission patch of the admin API: every permission, as the form shows it.
    pub fn patch(&self) -> Result<ResourcePatch, String> {
        let company = self.company.text.trim();
        let company_id =
            if company.is_empty() || company.eq_ignore_ascii_case("all") {
                None
            } else {
                Some(company.parse::<u32>().map_err(|_| {
                    format!("company {company:?} is not a company id; leave it blank for all companies")
                })?)
            };
        if let Err(e) = Domain::parse_text(&self.filter.text) {
            return Err(format!("record filter: {e}"));
        }
        let ops: Vec<&str> =
            ["read", "create", "write", "delete"].iter().zip(self.ops).filter(|(_, on)| *on).map(|(n, _)| *n).collect();
        Ok(ResourcePatch {
            company_id: Some(company_id),
            read_only: Some(self.read_only),
            ops: Some(if ops.is_empty() { "none".to_string() } else { ops.join(",") }),
            field_policy: Some(POLICIES[self.policy].to_string()),
            fields: Some(if self.policy == 0 { Vec::new() } else { self.fields.clone() }),
            record_filter: Some(self.filter.text.trim().to_string()),
            execute_methods: Some(split(&self.execute.text)),
            // The form has no approval fields: an edit keeps the rules.
            ..Default::default()
        })
    }

    fn save(&mut self, ctx: &mut Ctx) {
        let patch = match self.patch() {
            Ok(p) => p,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        self.error = None;
        match &self.mode {
            FormMode::Add(models) => ctx.out.send(Tag::SaveResource, AddResources { models: models.clone(), patch }),
            FormMode::Edit { id, .. } => {
                ctx.out.send(Tag::SaveResource, EditResource { resource: id.to_string(), model: None, patch })
            }
        }
    }

    /// The rows as drawn: each label with its value.
    fn rows(&self) -> Vec<(&'static str, String)> {
        let on = |b: bool| if b { "[x]" } else { "[ ]" }.to_string();
        let typed = |input: &Input, row: usize| self.nav.shown(input, row);
        let fields = if self.policy == 0 {
            "(all fields)".to_string()
        } else if self.fields.is_empty() {
            "(none: Enter to pick)".to_string()
        } else {
            self.fields.join(", ")
        };
        let company = if self.company.text.trim().is_empty() && !self.nav.typing_in(0) {
            "all companies".to_string()
        } else {
            typed(&self.company, 0)
        };
        let values = [
            company,
            format!("{} (overrides the toggles below)", on(self.read_only)),
            on(self.ops[0]),
            on(self.ops[1]),
            on(self.ops[2]),
            on(self.ops[3]),
            format!("{}  (space: all / allowlist / denylist)", POLICIES[self.policy]),
            if self.nav.typing_in(7) { typed(&self.fields_text, 7) } else { fields },
            typed(&self.filter, 8),
            typed(&self.execute, 9),
            String::new(),
        ];
        ROWS.into_iter().zip(values).collect()
    }

    /// A left click on the form drawn in `area`: focuses the row hit, and
    /// says whether to activate it (a click on the focused row, as Enter).
    /// The field or user picker, when open, takes no clicks.
    pub fn click(&mut self, row: u16, area: Rect) -> bool {
        self.picker.is_none() && matches!(self.nav.click(row, area, &self.rows()), super::form::FormKey::Activate(_))
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, data: &Data) {
        let title = match &self.mode {
            FormMode::Add(models) => format!(" Add Resources: {} ", models.join(", ")),
            FormMode::Edit { id, model } => format!(" Edit resource {id}: {model} "),
        };
        let mut lines = Vec::new();
        match &self.filter_error {
            Some(e) => lines.push(Line::styled(format!("! record filter: {e}"), bold())),
            None if !self.filter.text.trim().is_empty() => lines.push(Line::from("record filter: valid")),
            None => {}
        }
        if let Some(e) = &self.error {
            lines.push(Line::styled(format!("! {e}"), bold()));
        }
        for model in self.models() {
            if let Some(Loadable::Failed(e)) = data.fields.get(&model) {
                lines.push(Line::from(format!("fields of {model}: {e}")));
            }
        }
        lines.push(Line::from("Enter edit/toggle · Ctrl-S save · Esc cancel"));
        self.nav.draw(frame, area, &title, self.rows(), lines);
        if let Some(picker) = &self.picker {
            let loading = self.models().iter().any(|m| matches!(data.fields.get(m), Some(Loadable::Loading)));
            let title = if loading { "Fields (loading…)" } else { "Fields" };
            picker.draw(frame, super::widgets::centered(area, 70, 18), title);
        }
    }
}

fn split(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}
