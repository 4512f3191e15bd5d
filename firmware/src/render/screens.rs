//! The screens of [`Ui`], drawn in full or in part.
//!
//! [`Renderer::draw`] paints the screen [`Ui::screen`] names; [`Renderer::redraw`] takes the
//! [`Redraw`] that came with the event and repaints only that: the keyboard's damaged keys or
//! field, the focus on the password screen's controls, the problem screen's buttons, or one
//! frame of the progress animation. Areas come from [`Renderer::plan`], which stacks the screen's
//! parts from the display size, so the partial redraws land exactly where the full draw put
//! them.

use embedded_graphics::Drawable;
use embedded_graphics::prelude::{DrawTarget, Point, Primitive, Size};
use embedded_graphics::primitives::{Circle, PrimitiveStyle, Rectangle};

use super::face::{Face, fit, wrap};
use super::keyboard::KeyboardView;
use super::layout::{Grid, Metrics, Stack};
#[cfg(feature = "qr")]
use super::qr;
use super::report::{Drawn, How, Report};
use super::theme::Themed;
use crate::keyboard::{Keyboard, Layout};
use crate::profile::QuickEntry;
use crate::ui::{Content, Fit, Focus, PROGRESS_FRAMES, Part, Piece, Redraw, Screen, Ui};

/// Draws [`Ui`]'s screens on displays of one size.
#[derive(Debug, Clone, Copy)]
pub struct Renderer {
    metrics: Metrics,
}

/// Where the parts of the screen shown go.
#[derive(Debug, Clone, Copy)]
pub struct ScreenLayout {
    /// The title line, if there is room.
    pub title: Option<Rectangle>,
    /// The field's label, if there is room.
    pub label: Option<Rectangle>,
    /// The account line over the password field, and its face.
    pub account: Option<(Rectangle, Face)>,
    /// A notice that has no band of its own shows inside the empty field.
    pub placeholder: bool,
    /// A hint or notice under the field (one or two lines), if there is room.
    pub hint: Option<Rectangle>,
    /// Face of the hint.
    pub hint_face: Face,
    /// The keyboard, on the account and password screens.
    pub keyboard: Option<KeyboardView>,
    /// The controls band: the checkbox and Sign in (password), the buttons (others).
    pub controls: Rectangle,
    /// Face of the controls.
    pub controls_face: Face,
    /// Whether the password screen's controls take two rows (narrow screens).
    pub stacked: bool,
    /// What is left for the screen's message (all screens but the keyboards); the field's
    /// box on a password screen showing only its controls.
    pub body: Rectangle,
    /// The password screen's controls take the keyboard's place when they have the focus (the
    /// display is too small for both).
    pub swap: bool,
}

impl Renderer {
    /// A renderer for a display of `size`.
    pub fn new(size: Size) -> Self {
        Self {
            metrics: Metrics::new(size),
        }
    }

    /// The metrics in use.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Where the parts of `ui`'s screen go.
    pub fn plan(&self, ui: &Ui) -> ScreenLayout {
        let m = &self.metrics;
        let inner = Rectangle::new(
            m.screen.top_left + Point::new(m.margin as i32, m.margin as i32),
            m.screen
                .size
                .saturating_sub(Size::new(2 * m.margin, 2 * m.margin)),
        );
        let gap = (m.margin / 2).max(1);
        let mut stack = Stack::new(inner, gap);
        let keyboard = match ui.screen() {
            Screen::Account => Some(ui.email()),
            Screen::Password => Some(ui.password()),
            _ => None,
        };
        let language = ui.config().language;
        let Some(keyboard) = keyboard else {
            // On the smallest displays the buttons shrink so the message keeps its lines.
            let controls_face = if m.screen.size.height < 100 {
                Face::SMALLEST
            } else {
                m.body
            };
            // Signed in, the welcome is the title.
            let title = (ui.screen() != Screen::SignedIn)
                .then(|| {
                    stack.top_if_room(
                        m.title.height(),
                        m.body.height() * 6 + m.boxed(controls_face),
                    )
                })
                .flatten();
            let controls = stack.bottom(m.boxed(controls_face));
            return ScreenLayout {
                title,
                label: None,
                account: None,
                placeholder: false,
                hint: None,
                hint_face: m.body,
                keyboard: None,
                controls,
                controls_face,
                stacked: false,
                swap: false,
                body: stack.rest(),
            };
        };
        let (rows, cols) = keyboard.layout().size(keyboard.page());
        let quick = ui.config().profile.quick_entry;
        // Each row of keys needs at least a line of the smallest text and its gaps.
        let min_keys = u32::from(rows) * Metrics::MIN_KEY.height;
        let password = ui.screen() == Screen::Password;
        let field_h = m.boxed(m.body);
        let mut room = stack.left().saturating_sub(field_h + gap + min_keys);
        let fitted = if password {
            self.controls_face(ui, room)
        } else {
            None
        };
        // Too small a display for both: the controls replace the keyboard while they have
        // the focus, and are hidden while the player types.
        let swap = password && fitted.is_none();
        // The account over the password: as large as fits the width, up to the body face.
        let account_face =
            |height: u32| Face::fitting(height, inner.size.width, &[ui.email().text()]);
        if swap && ui.focus() != Focus::Keyboard {
            let face = account_face(m.body.height());
            let account = Some((stack.top(face.height()), face));
            let field = stack.top(field_h);
            let controls = stack.rest();
            let none = Rectangle::new(controls.top_left, Size::zero());
            return ScreenLayout {
                title: None,
                label: None,
                account,
                placeholder: false,
                hint: None,
                hint_face: m.body,
                // The field only: no keys are shown.
                keyboard: Some(KeyboardView {
                    grid: Grid::new(none, rows, cols, false),
                    field,
                    field_face: m.body,
                    pad: m.pad,
                    quick,
                    language,
                    masked: true,
                    profile: ui.config().profile,
                    legend: None,
                    phone: false,
                }),
                controls,
                controls_face: Face::fitting(
                    m.body.height(),
                    controls.size.width,
                    &[piece_text(&Content::of(ui), Part::Checkbox)],
                ),
                stacked: true,
                swap,
                body: field,
            };
        }
        let (controls_h, controls_face, stacked) = match fitted {
            Some((face, stacked)) => {
                let rows = if stacked { 2 } else { 1 };
                (
                    rows * (face.height() + 2 * m.pad) + (rows - 1) * gap,
                    face,
                    stacked,
                )
            }
            None => (0, m.body, false),
        };
        room = room.saturating_sub(controls_h + gap);
        // The account is always shown over the password: in the body face where the keys
        // keep their minimum, else in the smallest.
        let account_face = password.then(|| {
            let face = if room >= m.body.height() + gap {
                account_face(m.body.height())
            } else {
                Face::SMALLEST
            };
            room = room.saturating_sub(face.height() + gap);
            face
        });
        // Optional lines, most useful first, each only if the keys keep their minimum.
        let mut fits = |h: u32| {
            let take = room >= h + gap;
            if take {
                room -= h + gap;
            }
            take
        };
        // Why the player is asked again comes before anything optional; without room for
        // its band it shows inside the empty field.
        let (hint_face, hint_h) = self.hint_face(ui, inner.size.width);
        let notice = password && ui.notice().is_some();
        let notice_band = notice && fits(hint_h);
        let label = fits(m.body.height());
        let legend_face = super::legend::face(
            ui.config().profile,
            language,
            m.body,
            inner.size.width,
            m.pad,
        );
        let legend = legend_face.filter(|f| fits(f.height()));
        let title = fits(m.title.height());
        let hint = notice_band || (password && !notice && fits(hint_h));
        let title = title.then(|| stack.top(m.title.height()));
        let label = label.then(|| stack.top(m.body.height()));
        let account = account_face.map(|face| (stack.top(face.height()), face));
        let field = stack.top(field_h);
        let hint = hint.then(|| stack.top(hint_h));
        let controls = if password && !swap {
            stack.bottom(controls_h)
        } else {
            Rectangle::new(inner.top_left, Size::zero())
        };
        let legend = legend.map(|face| (stack.bottom(face.height()), face));
        let grid = Grid::new(stack.rest(), rows, cols, quick != QuickEntry::None);
        ScreenLayout {
            title,
            label,
            account,
            placeholder: notice && !notice_band,
            hint,
            hint_face,
            keyboard: Some(KeyboardView {
                grid,
                field,
                field_face: m.body,
                pad: m.pad,
                quick,
                language,
                masked: password,
                profile: ui.config().profile,
                legend,
                phone: ui.phone_choice(),
            }),
            controls,
            controls_face,
            stacked,
            swap,
            body: Rectangle::new(inner.top_left, Size::zero()),
        }
    }

    /// The password hint's face and height: the largest face up to the body's in which it
    /// takes at most two lines of `width`.
    fn hint_face(&self, ui: &Ui, width: u32) -> (Face, u32) {
        let body = self.metrics.body;
        let content = Content::of(ui);
        let text = piece_text(&content, Part::Hint);
        let (face, lines) = super::face::FACES
            .iter()
            .rev()
            .filter(|f| f.height() <= body.height())
            .map(|f| (*f, wrap(text, f.columns(width)).count() as u32))
            .find(|(_, lines)| *lines <= 2)
            .unwrap_or((Face::SMALLEST, 2));
        (face, lines.max(1) * face.height())
    }

    /// The face of the password screen's controls, and whether they take two rows, given
    /// `budget` pixels of height to spare; `None` if they do not fit beside the keyboard.
    fn controls_face(&self, ui: &Ui, budget: u32) -> Option<(Face, bool)> {
        let m = &self.metrics;
        let content = Content::of(ui);
        let remember = piece_text(&content, Part::Checkbox);
        let sign_in = piece_text(&content, Part::Button);
        let width = m.screen.size.width.saturating_sub(2 * m.margin);
        let one_row = |f: Face| {
            f.height() + 2 * m.pad + f.width(remember) + 4 * m.pad + f.width(sign_in) + 2 * m.margin
        };
        if one_row(m.body) <= width && m.boxed(m.body) <= budget {
            return Some((m.body, false));
        }
        let two_rows = |f: Face| 2 * (f.height() + 2 * m.pad) + m.margin / 2;
        let stacked = Face::fitting(
            m.body.height(),
            width.saturating_sub(m.body.height() + 2 * m.pad),
            &[remember],
        );
        if two_rows(stacked) <= budget {
            return Some((stacked, true));
        }
        super::face::FACES
            .iter()
            .rev()
            .find(|f| {
                f.height() <= m.body.height() && one_row(**f) <= width && m.boxed(**f) <= budget
            })
            .map(|f| (*f, false))
    }

    /// Draws `ui`'s screen in full.
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw<D>(&self, target: &mut D, ui: &Ui) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        self.draw_reporting(target, ui, &mut ())
    }

    /// Tells `report` what a full draw of `ui`'s screen puts on a display of this size, piece
    /// by piece, without drawing anything. Partial redraws land where a full draw does, so
    /// this is what the display shows after any sequence of [`Renderer::redraw`]s.
    pub fn report(&self, ui: &Ui, report: &mut impl Report) {
        let mut nowhere = Nowhere(self.metrics.screen.size);
        let Ok(()) = self.draw_reporting(&mut nowhere, ui, report);
    }

    /// [`Renderer::draw`], telling `report` each piece of text as it is drawn.
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn draw_reporting<D>(
        &self,
        target: &mut D,
        ui: &Ui,
        report: &mut dyn Report,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let p = D::Color::PALETTE;
        target.clear(p.background)?;
        let plan = self.plan(ui);
        let content = Content::of(ui);
        let m = &self.metrics;
        if let Some(title) = content.first(Part::Title) {
            let area = plan.title.map(|a| (a, m.title));
            draw_line(target, report, title, area, p.text, Align::Left)?;
        }
        match ui.screen() {
            Screen::Account | Screen::Password => {
                let keyboard = if ui.screen() == Screen::Account {
                    ui.email()
                } else {
                    ui.password()
                };
                if let Some(label) = content.first(Part::Label) {
                    let area = plan.label.map(|a| (a, m.body));
                    draw_line(target, report, label, area, p.dim, Align::Left)?;
                }
                if let Some(account) = content.first(Part::Account) {
                    draw_line(target, report, account, plan.account, p.text, Align::Left)?;
                }
                let hidden_keys = plan.swap && !self.keyboard_focused(ui);
                match plan.keyboard {
                    Some(view) if hidden_keys => {
                        view.draw_field_reporting(target, keyboard, false, report)?;
                    }
                    Some(view) => {
                        view.draw_field_reporting(
                            target,
                            keyboard,
                            self.keyboard_focused(ui),
                            report,
                        )?;
                        view.draw_keys(target, keyboard, self.keyboard_focused(ui))?;
                    }
                    None => {}
                }
                if let Some(hint) = content.first(Part::Hint) {
                    self.draw_hint(target, ui, &plan, hint, report)?;
                }
                if ui.screen() == Screen::Password {
                    // With too little room for both, the controls show only with the focus.
                    let hidden = plan.swap && self.keyboard_focused(ui);
                    self.draw_password_controls(target, &content, ui, &plan, hidden, report)?;
                }
                Ok(())
            }
            Screen::SigningIn | Screen::LinkStarting => {
                let rest = self.draw_paragraphs(
                    target,
                    plan.body,
                    &paragraphs(&content, &[p.alert, p.text, p.focus]),
                    report,
                )?;
                self.draw_progress(target, ui, rest)?;
                self.draw_buttons(target, &plan, &content, report)
            }
            Screen::SignedIn => {
                let line = content.first(Part::Message).map_or("", |piece| piece.text);
                // Large and centred when it fits on one line, else wrapped body text.
                let width = plan.body.size.width;
                let face = Face::fitting(m.title.height(), width, &[line]);
                if face.width(line) <= width && face.height() >= m.body.height() {
                    face.draw_centered(target, line, plan.body, p.text)?;
                    report.drawn(&Drawn {
                        part: Part::Message,
                        shown: line,
                        how: How::Whole,
                    });
                } else {
                    self.draw_paragraphs(
                        target,
                        plan.body,
                        &paragraphs(&content, &[p.alert, p.text, p.focus]),
                        report,
                    )?;
                }
                self.draw_buttons(target, &plan, &content, report)
            }
            Screen::LinkCode => {
                super::link::draw(target, m, ui, &content, plan.body, report)?;
                self.draw_buttons(target, &plan, &content, report)
            }
            Screen::Problem(_) => {
                self.draw_problem(target, &content, &plan, report)?;
                self.draw_buttons(target, &plan, &content, report)
            }
        }
    }

    /// The hint under the password field: in its band, or (a notice with no band) inside the
    /// empty field, or not at all.
    fn draw_hint<D>(
        &self,
        target: &mut D,
        ui: &Ui,
        plan: &ScreenLayout,
        hint: Piece<'_>,
        report: &mut dyn Report,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let p = D::Color::PALETTE;
        if let Some(area) = plan.hint {
            let paragraph = Paragraph {
                piece: hint,
                color: p.dim,
            };
            let face = plan.hint_face;
            // Two lines at most, set solid: the band was measured so.
            let step = face.height();
            return self
                .draw_paragraph(target, area, &paragraph, face, 2, step, report)
                .map(|_| ());
        }
        match plan.keyboard {
            Some(view) if plan.placeholder && ui.password().text().is_empty() => {
                let inner = view.placeholder_area();
                let face = Face::fitting(view.field_face.height(), inner.size.width, &[hint.text]);
                let band = Some((inner, face));
                draw_line(
                    target,
                    report,
                    Piece {
                        fit: Fit::Ellipsis,
                        ..hint
                    },
                    band,
                    p.dim,
                    Align::Left,
                )
            }
            _ => {
                report.drawn(&Drawn::left_out(hint.part));
                Ok(())
            }
        }
    }

    /// Redraws what `redraw` names, after [`Renderer::draw`] drew the same screen.
    ///
    /// # Errors
    /// Whatever the target returns.
    pub fn redraw<D>(&self, target: &mut D, ui: &Ui, redraw: Redraw) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        match redraw {
            Redraw::Nothing => Ok(()),
            Redraw::Screen => self.draw(target, ui),
            Redraw::Keyboard(damage) => {
                let plan = self.plan(ui);
                let keyboard = self.keyboard(ui);
                match (plan.keyboard, keyboard) {
                    (Some(view), Some(keyboard)) => {
                        view.redraw(target, keyboard, &damage, self.keyboard_focused(ui))?;
                        if damage.field {
                            self.redraw_placeholder(target, ui, &plan)?;
                        }
                        Ok(())
                    }
                    _ => self.draw(target, ui),
                }
            }
            Redraw::Controls => {
                let plan = self.plan(ui);
                match ui.screen() {
                    Screen::Password if plan.swap => self.draw(target, ui),
                    Screen::Password => {
                        // The focus may have left or entered the keyboard: its cursor key and
                        // the field's text cursor show it.
                        if let Some(view) = plan.keyboard {
                            let keyboard = ui.password();
                            let focused = self.keyboard_focused(ui);
                            view.draw_key(target, keyboard, keyboard.cell(), focused)?;
                            view.draw_field(target, keyboard, focused)?;
                        }
                        self.redraw_placeholder(target, ui, &plan)?;
                        let content = Content::of(ui);
                        self.draw_password_controls(target, &content, ui, &plan, false, &mut ())
                    }
                    Screen::Problem(_) => {
                        self.draw_buttons(target, &plan, &Content::of(ui), &mut ())
                    }
                    _ => self.draw(target, ui),
                }
            }
            Redraw::Progress => {
                let plan = self.plan(ui);
                let rest = self.paragraphs_end(ui, plan.body);
                self.draw_progress(target, ui, rest)
            }
            Redraw::Countdown => {
                let plan = self.plan(ui);
                super::link::redraw_countdown(target, &self.metrics, ui, plan.body)
            }
        }
    }

    /// The notice inside the empty field, after the field was redrawn.
    fn redraw_placeholder<D>(
        &self,
        target: &mut D,
        ui: &Ui,
        plan: &ScreenLayout,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        match Content::of(ui).first(Part::Hint) {
            Some(hint) if plan.placeholder => self.draw_hint(target, ui, plan, hint, &mut ()),
            _ => Ok(()),
        }
    }

    fn keyboard<'u>(&self, ui: &'u Ui) -> Option<&'u Keyboard> {
        match ui.screen() {
            Screen::Account => Some(ui.email()),
            Screen::Password => Some(ui.password()),
            _ => None,
        }
    }

    fn keyboard_focused(&self, ui: &Ui) -> bool {
        ui.screen() == Screen::Account || ui.focus() == Focus::Keyboard
    }

    /// The checkbox and the Sign in button (only reported, as left out, when `hidden`).
    fn draw_password_controls<D>(
        &self,
        target: &mut D,
        content: &Content<'_>,
        ui: &Ui,
        plan: &ScreenLayout,
        hidden: bool,
        report: &mut dyn Report,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let (Some(remember), Some(sign_in)) =
            (content.first(Part::Checkbox), content.first(Part::Button))
        else {
            return Ok(());
        };
        if hidden {
            for piece in [remember, sign_in] {
                report.drawn(&Drawn::left_out(piece.part));
            }
            return Ok(());
        }
        let p = D::Color::PALETTE;
        let m = &self.metrics;
        let face = plan.controls_face;
        let area = plan.controls;
        target.fill_solid(&area, p.background)?;
        let row_h = face.height() + 2 * m.pad;
        // The checkbox row: a box, ticked or not, and its label; all highlighted with focus.
        let check_w = row_h + m.pad + face.width(remember.text) + 2 * m.pad;
        let check = Rectangle::new(
            area.top_left,
            Size::new(check_w.min(area.size.width), row_h),
        );
        let focused = remember.selected;
        let (fill, ink) = if focused {
            (p.focus, p.focus_text)
        } else {
            (p.background, p.text)
        };
        target.fill_solid(&check, fill)?;
        let side = face.height();
        let bx = Rectangle::new(
            check.top_left + Point::new(m.pad as i32, m.pad as i32),
            Size::new(side, side),
        );
        target.fill_solid(&bx, ink)?;
        let inner_pad = (side / 6).max(1);
        let hole = Rectangle::new(
            bx.top_left + Point::new(inner_pad as i32, inner_pad as i32),
            bx.size
                .saturating_sub(Size::new(2 * inner_pad, 2 * inner_pad)),
        );
        target.fill_solid(&hole, fill)?;
        if ui.remember() {
            let tick = Rectangle::new(
                hole.top_left + Point::new(inner_pad as i32, inner_pad as i32),
                hole.size
                    .saturating_sub(Size::new(2 * inner_pad, 2 * inner_pad)),
            );
            target.fill_solid(&tick, ink)?;
        }
        let label_at = bx.top_left + Point::new((side + m.pad) as i32, 0);
        let label_w = (area.top_left.x + area.size.width as i32 - label_at.x).max(0) as u32;
        let label = Rectangle::new(label_at, Size::new(label_w, face.height()));
        draw_line(
            target,
            report,
            remember,
            Some((label, face)),
            ink,
            Align::Left,
        )?;
        // The Sign in button: right of the checkbox, or under it on narrow screens.
        let button_w = face.width(sign_in.text) + 4 * m.pad;
        let at = if plan.stacked {
            area.top_left + Point::new(0, (row_h + (m.margin / 2).max(1)) as i32)
        } else {
            area.top_left + Point::new(area.size.width.saturating_sub(button_w) as i32, 0)
        };
        let button = Rectangle::new(at, Size::new(button_w, row_h));
        self.draw_button(target, face, sign_in, button, report)
    }

    fn draw_button<D>(
        &self,
        target: &mut D,
        face: Face,
        button: Piece<'_>,
        area: Rectangle,
        report: &mut dyn Report,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let p = D::Color::PALETTE;
        let (fill, ink) = if button.selected {
            (p.focus, p.focus_text)
        } else {
            (p.surface, p.surface_text)
        };
        target.fill_solid(&area, fill)?;
        face.draw_centered(target, button.text, area, ink)?;
        let shown = fit(button.text, face.columns(area.size.width));
        report.drawn(&Drawn {
            part: button.part,
            shown,
            how: if shown.len() < button.text.len() {
                How::Cut
            } else {
                How::Whole
            },
        });
        Ok(())
    }

    /// The screen's buttons, centred in the controls band, the selected one highlighted.
    fn draw_buttons<D>(
        &self,
        target: &mut D,
        plan: &ScreenLayout,
        content: &Content<'_>,
        report: &mut dyn Report,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let p = D::Color::PALETTE;
        let m = &self.metrics;
        let area = plan.controls;
        target.fill_solid(&area, p.background)?;
        let mut texts = [""; 2];
        for (slot, button) in texts.iter_mut().zip(content.all(Part::Button)) {
            *slot = button.text;
        }
        let count = content.all(Part::Button).count().max(1) as u32;
        let gap = m.margin;
        let slot = area.size.width.saturating_sub(gap * (count - 1)) / count;
        let widest = content
            .all(Part::Button)
            .map(|b| plan.controls_face.width(b.text))
            .max()
            .unwrap_or(0);
        let face = Face::fitting(
            plan.controls_face.height(),
            slot.saturating_sub(2 * m.pad),
            &texts,
        );
        let w = (widest + 4 * m.pad)
            .min(slot)
            .max(face.width("OK") + 4 * m.pad);
        let total = w * count + gap * (count - 1);
        let mut x = area.top_left.x + (area.size.width.saturating_sub(total) / 2) as i32;
        for button in content.all(Part::Button) {
            let area = Rectangle::new(
                Point::new(x, area.top_left.y),
                Size::new(w, area.size.height),
            );
            self.draw_button(target, face, button, area, report)?;
            x += (w + gap) as i32;
        }
        Ok(())
    }

    /// Paragraphs of wrapped text from the top of `area`, in the largest face up to the body
    /// face in which they all fit; returns what is left below.
    fn draw_paragraphs<D>(
        &self,
        target: &mut D,
        area: Rectangle,
        paragraphs: &[Paragraph<'_, D::Color>],
        report: &mut dyn Report,
    ) -> Result<Rectangle, D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let (face, with_optional) = self.paragraph_face(area, paragraphs);
        let mut rest = area;
        for paragraph in paragraphs {
            if !with_optional && paragraph.optional() {
                report.drawn(&Drawn::left_out(paragraph.piece.part));
                continue;
            }
            let face = paragraph.face(face, area.size.width);
            let step = line_height(face);
            rest = self.draw_paragraph(target, rest, paragraph, face, usize::MAX, step, report)?;
            let gap = paragraph_gap(face).min(rest.size.height);
            rest = Rectangle::new(
                rest.top_left + Point::new(0, gap as i32),
                Size::new(rest.size.width, rest.size.height - gap),
            );
        }
        Ok(rest)
    }

    /// One paragraph wrapped from the top of `area` in `face`, at most `max_lines` lines and
    /// as many as fit, `step` pixels apart; reports what it drew and returns what is left
    /// below.
    #[allow(
        clippy::too_many_arguments,
        reason = "one paragraph's layout, each once"
    )]
    fn draw_paragraph<D>(
        &self,
        target: &mut D,
        area: Rectangle,
        paragraph: &Paragraph<'_, D::Color>,
        face: Face,
        max_lines: usize,
        step: u32,
        report: &mut dyn Report,
    ) -> Result<Rectangle, D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let text = paragraph.piece.text;
        let mut y = area.top_left.y;
        let bottom = area.top_left.y + area.size.height as i32;
        // Where the last line drawn ends in `text`: lines are slices of it.
        let mut end = 0;
        for line in wrap(text, face.columns(area.size.width)).take(max_lines) {
            if y + face.height() as i32 > bottom {
                break;
            }
            face.draw(
                target,
                line,
                Point::new(area.top_left.x, y),
                paragraph.color,
            )?;
            end = (line.as_ptr() as usize - text.as_ptr() as usize) + line.len();
            y += step as i32;
        }
        let shown = text.get(..end).unwrap_or_default();
        report.drawn(&Drawn {
            part: paragraph.piece.part,
            shown,
            how: match shown.len() {
                0 if !text.is_empty() => How::LeftOut,
                n if n < text.trim_end().len() => How::Cut,
                _ => How::Whole,
            },
        });
        let y = y.min(bottom);
        Ok(Rectangle::new(
            Point::new(area.top_left.x, y),
            Size::new(area.size.width, (bottom - y).max(0) as u32),
        ))
    }

    /// The largest face up to the body face in which `paragraphs` fit `area`, and whether
    /// the optional ones fit too (they are left out when nothing else would fit).
    fn paragraph_face<C: Copy>(
        &self,
        area: Rectangle,
        paragraphs: &[Paragraph<'_, C>],
    ) -> (Face, bool) {
        let fitting = |with_optional: bool| {
            super::face::FACES
                .iter()
                .rev()
                .filter(|f| f.height() <= self.metrics.body.height())
                .find(|f| {
                    paragraphs_height(**f, area.size.width, paragraphs, with_optional)
                        <= area.size.height
                })
                .copied()
        };
        match (fitting(true), fitting(false)) {
            (Some(face), _) => (face, true),
            (None, Some(face)) => (face, false),
            (None, None) => (Face::SMALLEST, false),
        }
    }

    /// Where [`Renderer::draw_paragraphs`] ended on the signing-in screen.
    fn paragraphs_end(&self, ui: &Ui, area: Rectangle) -> Rectangle {
        let content = Content::of(ui);
        let paragraphs = paragraphs(&content, &[(); 3]);
        let (face, _) = self.paragraph_face(area, &paragraphs);
        let used =
            paragraphs_height(face, area.size.width, &paragraphs, true).min(area.size.height);
        Rectangle::new(
            area.top_left + Point::new(0, used as i32),
            Size::new(area.size.width, area.size.height - used),
        )
    }

    /// A ring of dots, one lit per frame, centred in `area`.
    fn draw_progress<D>(&self, target: &mut D, ui: &Ui, area: Rectangle) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let p = D::Color::PALETTE;
        let side = area.size.width.min(area.size.height) * 3 / 4;
        if side < 8 {
            return Ok(());
        }
        let ring = Rectangle::with_center(area.center(), Size::new(side, side));
        let dot = (side / 6).max(2);
        let radius = (side.saturating_sub(dot) / 2) as i32;
        // Eight positions around the ring, clockwise from the top, in 1/1000ths.
        const RING: [(i32, i32); 8] = [
            (0, -1000),
            (707, -707),
            (1000, 0),
            (707, 707),
            (0, 1000),
            (-707, 707),
            (-1000, 0),
            (-707, -707),
        ];
        let frames = u32::from(PROGRESS_FRAMES).max(1);
        let lit = u32::from(ui.progress_frame()) % frames;
        for (i, (x, y)) in RING.into_iter().enumerate() {
            let center = ring.center() + Point::new(x * radius / 1000, y * radius / 1000);
            let bounds = Rectangle::with_center(center, Size::new(dot, dot));
            target.fill_solid(&bounds, p.background)?;
            let color = if i as u32 == lit { p.focus } else { p.surface };
            Circle::with_center(center, dot)
                .into_styled(PrimitiveStyle::with_fill(color))
                .draw(target)?;
        }
        Ok(())
    }

    /// The problem: what happened, and for wrong credentials the app-password line, where to
    /// make one, and a QR code of that address when there is room.
    fn draw_problem<D>(
        &self,
        target: &mut D,
        content: &Content<'_>,
        plan: &ScreenLayout,
        report: &mut dyn Report,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let p = D::Color::PALETTE;
        let paragraphs = paragraphs(content, &[p.alert, p.text, p.focus]);
        let body = plan.body;
        // A QR code of the link beside the text where the screen is wide and the code still
        // readable, below it where there is room left, none on the smallest screens.
        #[cfg(feature = "qr")]
        if let Some(url) = content.first(Part::Link).map(|link| link.text) {
            let beside = body.size.height;
            if body.size.width > beside * 3 / 2 && qr::fits(url, beside) {
                let text_w = body.size.width.saturating_sub(beside + self.metrics.margin);
                let text_area = Rectangle::new(body.top_left, Size::new(text_w, body.size.height));
                self.draw_paragraphs(target, text_area, &paragraphs, report)?;
                let qr_area = Rectangle::new(
                    body.top_left + Point::new((body.size.width - beside) as i32, 0),
                    Size::new(beside, beside),
                );
                return draw_qr(target, url, qr_area).map(|_| ());
            }
            let rest = self.draw_paragraphs(target, body, &paragraphs, report)?;
            return draw_qr(target, url, rest).map(|_| ());
        }
        self.draw_paragraphs(target, body, &paragraphs, report)
            .map(|_| ())
    }
}

/// The QR code of `url` in `area`: dark modules on a light field. Every palette is a dark
/// theme, so its text colour is the light field and its background the dark modules.
#[cfg(feature = "qr")]
pub(super) fn draw_qr<D>(target: &mut D, url: &str, area: Rectangle) -> Result<bool, D::Error>
where
    D: DrawTarget,
    D::Color: Themed,
{
    let p = D::Color::PALETTE;
    qr::draw(target, url, area, p.background, p.text)
}

/// A paragraph of a message screen: a piece of the content, and its colour.
#[derive(Debug, Clone, Copy)]
struct Paragraph<'a, C> {
    piece: Piece<'a>,
    color: C,
}

impl<C> Paragraph<'_, C> {
    /// Left out when the display is too small for every paragraph.
    fn optional(&self) -> bool {
        self.piece.fit == Fit::Optional
    }

    /// The face this paragraph uses when the others use `face`: a link is kept on one line
    /// in a smaller face if that fits (an address is easier to type from one line).
    fn face(&self, face: Face, width: u32) -> Face {
        let text = self.piece.text;
        if self.piece.part == Part::Link && face.width(text) > width {
            let smaller = Face::fitting(face.height(), width, &[text]);
            if smaller.width(text) <= width {
                return smaller;
            }
        }
        face
    }
}

/// The message pieces of `content` (what went wrong, messages, links) as paragraphs, in the
/// colours `colors` gives for [`Part::Alert`], [`Part::Message`] and [`Part::Link`].
fn paragraphs<'c, C: Copy>(
    content: &'c Content<'_>,
    colors: &[C; 3],
) -> heapless::Vec<Paragraph<'c, C>, { crate::ui::content::MAX_PIECES }> {
    let [alert, text, link] = *colors;
    content
        .pieces()
        .filter_map(|piece| {
            let color = match piece.part {
                Part::Alert => alert,
                Part::Message => text,
                Part::Link => link,
                _ => return None,
            };
            Some(Paragraph { piece, color })
        })
        .collect()
}

/// Where a line sits in its band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    /// At the band's top left.
    Left,
    /// Centred in the band, both ways.
    Centre,
}

/// A piece of text on one line of `band` (its area and face), placed by `align`: cut to the
/// columns there are, with an ellipsis if the piece asks for one; reported as left out with no
/// band.
pub(super) fn draw_line<D: DrawTarget>(
    target: &mut D,
    report: &mut dyn Report,
    piece: Piece<'_>,
    band: Option<(Rectangle, Face)>,
    color: D::Color,
    align: Align,
) -> Result<(), D::Error> {
    let Some((area, face)) = band else {
        report.drawn(&Drawn::left_out(piece.part));
        return Ok(());
    };
    let (shown, how) = fitted(&piece, face.columns(area.size.width));
    let at = match align {
        Align::Left => area.top_left,
        Align::Centre => {
            let ellipsis = if how == How::Ellipsis {
                face.width("…")
            } else {
                0
            };
            let width = (face.width(shown) + ellipsis) as i32;
            let x = (area.size.width as i32 - width) / 2;
            let y = (area.size.height as i32 - face.height() as i32) / 2;
            area.top_left + Point::new(x, y)
        }
    };
    let end = face.draw(target, shown, at, color)?;
    if how == How::Ellipsis {
        face.draw(target, "…", end, color)?;
    }
    report.drawn(&Drawn {
        part: piece.part,
        shown,
        how,
    });
    Ok(())
}

/// What of `piece` shows on one line of `columns` characters, and how it was fitted: whole,
/// cut, or cut for an ellipsis if the piece asks for one.
pub(super) fn fitted<'p>(piece: &Piece<'p>, columns: usize) -> (&'p str, How) {
    let whole = piece.text.chars().count() <= columns;
    match (whole, piece.fit) {
        (true, _) => (piece.text, How::Whole),
        (false, Fit::Ellipsis) => (fit(piece.text, columns.saturating_sub(1)), How::Ellipsis),
        (false, _) => (fit(piece.text, columns), How::Cut),
    }
}

/// Draws nothing, anywhere: the target of [`Renderer::report`].
struct Nowhere(Size);

impl embedded_graphics::prelude::OriginDimensions for Nowhere {
    fn size(&self) -> Size {
        self.0
    }
}

impl DrawTarget for Nowhere {
    // Any themed colour: nothing is kept.
    type Color = embedded_graphics::pixelcolor::Gray4;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, _: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = embedded_graphics::Pixel<Self::Color>>,
    {
        Ok(())
    }
}

/// The text of `content`'s first `part`, or nothing.
fn piece_text<'c>(content: &'c Content<'_>, part: Part) -> &'c str {
    content.first(part).map_or("", |piece| piece.text)
}

/// Distance between lines of `face`: a quarter of a line of leading, none for the tiniest
/// faces (their cells already hold a pixel of spacing).
fn line_height(face: Face) -> u32 {
    if face.height() < 8 {
        face.height()
    } else {
        face.height() + face.height() / 4
    }
}

/// Extra space after a paragraph.
fn paragraph_gap(face: Face) -> u32 {
    if face.height() < 8 {
        1
    } else {
        line_height(face) / 2
    }
}

/// Height `paragraphs` take in `face` across `width`.
fn paragraphs_height<C>(
    face: Face,
    width: u32,
    paragraphs: &[Paragraph<'_, C>],
    with_optional: bool,
) -> u32 {
    paragraphs
        .iter()
        .filter(|p| with_optional || !p.optional())
        .map(|p| {
            let face = p.face(face, width);
            let lines = wrap(p.piece.text, face.columns(width)).count() as u32;
            lines * line_height(face) + paragraph_gap(face)
        })
        .sum()
}
