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
use heapless::String;

use super::face::{Face, wrap};
use super::keyboard::KeyboardView;
use super::layout::{Grid, Metrics, Stack};
#[cfg(feature = "qr")]
use super::qr;
use super::theme::Themed;
use crate::keyboard::{Keyboard, Layout};
use crate::profile::QuickEntry;
use crate::text::{self, Language, Text};
use crate::ui::{Focus, PROGRESS_FRAMES, Problem, Redraw, Screen, Ui};

/// Draws [`Ui`]'s screens on displays of one size.
#[derive(Debug, Clone, Copy)]
pub struct Renderer {
    metrics: Metrics,
}

/// Where the parts of the screen shown go.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// The title line, if there is room.
    pub title: Option<Rectangle>,
    /// The field's label, if there is room.
    pub label: Option<Rectangle>,
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
    pub fn plan(&self, ui: &Ui) -> Plan {
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
            return Plan {
                title,
                label: None,
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
        let min_keys = u32::from(rows) * (Face::SMALLEST.height() + 3);
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
        if swap && ui.focus() != Focus::Keyboard {
            let field = stack.top(field_h);
            let controls = stack.rest();
            let none = Rectangle::new(controls.top_left, Size::zero());
            return Plan {
                title: None,
                label: None,
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
                }),
                controls,
                controls_face: Face::fitting(
                    m.body.height(),
                    controls.size.width,
                    &[ui.remember_text().get(language)],
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
        // Optional lines, most useful first, each only if the keys keep their minimum.
        let mut fits = |h: u32| {
            let take = room >= h + gap;
            if take {
                room -= h + gap;
            }
            take
        };
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
        let (hint_face, hint_h) = self.hint_face(ui, inner.size.width);
        let hint = password && fits(hint_h);
        let title = title.then(|| stack.top(m.title.height()));
        let label = label.then(|| stack.top(m.body.height()));
        let field = stack.top(field_h);
        let hint = hint.then(|| stack.top(hint_h));
        let controls = if password && !swap {
            stack.bottom(controls_h)
        } else {
            Rectangle::new(inner.top_left, Size::zero())
        };
        let legend = legend.map(|face| (stack.bottom(face.height()), face));
        let grid = Grid::new(stack.rest(), rows, cols, quick != QuickEntry::None);
        Plan {
            title,
            label,
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
        let text = hint_text(ui);
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
        let language = ui.config().language;
        let remember = ui.remember_text().get(language);
        let sign_in = Text::SignInButton.get(language);
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
        let p = D::Color::PALETTE;
        target.clear(p.background)?;
        let plan = self.plan(ui);
        let language = ui.config().language;
        let m = &self.metrics;
        if let Some(title) = plan.title {
            m.title.draw(
                target,
                Text::SignInTitle.get(language),
                title.top_left,
                p.text,
            )?;
        }
        match ui.screen() {
            Screen::Account | Screen::Password => {
                let (label, keyboard) = if ui.screen() == Screen::Account {
                    (Text::EmailLabel, ui.email())
                } else {
                    (Text::PasswordLabel, ui.password())
                };
                if let Some(area) = plan.label {
                    m.body
                        .draw(target, label.get(language), area.top_left, p.dim)?;
                }
                if let Some(area) = plan.hint {
                    let face = plan.hint_face;
                    let mut at = area.top_left;
                    for line in wrap(hint_text(ui), face.columns(area.size.width)).take(2) {
                        face.draw(target, line, at, p.dim)?;
                        at.y += face.height() as i32;
                    }
                }
                match plan.keyboard {
                    Some(view) if plan.swap && !self.keyboard_focused(ui) => {
                        view.draw_field(target, keyboard, false)?;
                    }
                    Some(view) => view.draw(target, keyboard, self.keyboard_focused(ui))?,
                    None => {}
                }
                // With too little room for both, the controls show only with the focus.
                let hidden = plan.swap && self.keyboard_focused(ui);
                if ui.screen() == Screen::Password && !hidden {
                    self.draw_password_controls(target, ui, &plan)?;
                }
                Ok(())
            }
            Screen::SigningIn => {
                let line = signing_in_text(ui);
                let rest =
                    self.draw_paragraphs(target, plan.body, &[Paragraph::new(&line, p.text)])?;
                self.draw_progress(target, ui, rest)?;
                self.draw_buttons(target, &plan, &[Text::Cancel], 0, language)
            }
            Screen::SignedIn => {
                let mut line: String<96> = String::new();
                let _ = text::fill(&mut line, Text::Welcome.get(language), ui.display_name());
                // Large and centred when it fits on one line, else wrapped body text.
                let width = plan.body.size.width;
                let face = Face::fitting(m.title.height(), width, &[&line]);
                if face.width(&line) <= width && face.height() >= m.body.height() {
                    face.draw_centered(target, &line, plan.body, p.text)?;
                } else {
                    self.draw_paragraphs(target, plan.body, &[Paragraph::new(&line, p.text)])?;
                }
                self.draw_buttons(target, &plan, &[Text::SignOutButton], 0, language)
            }
            Screen::Problem(problem) => {
                self.draw_problem(target, ui, problem, &plan)?;
                self.draw_choices(target, ui, &plan)
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
                        view.redraw(target, keyboard, &damage, self.keyboard_focused(ui))
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
                        self.draw_password_controls(target, ui, &plan)
                    }
                    Screen::Problem(_) => self.draw_choices(target, ui, &plan),
                    _ => self.draw(target, ui),
                }
            }
            Redraw::Progress => {
                let plan = self.plan(ui);
                let rest = self.paragraphs_end(ui, plan.body);
                self.draw_progress(target, ui, rest)
            }
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

    /// The checkbox and the Sign in button.
    fn draw_password_controls<D>(
        &self,
        target: &mut D,
        ui: &Ui,
        plan: &Plan,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let p = D::Color::PALETTE;
        let m = &self.metrics;
        let face = plan.controls_face;
        let language = ui.config().language;
        let area = plan.controls;
        target.fill_solid(&area, p.background)?;
        let row_h = face.height() + 2 * m.pad;
        let remember = ui.remember_text().get(language);
        let sign_in = Text::SignInButton.get(language);
        // The checkbox row: a box, ticked or not, and its label; all highlighted with focus.
        let check_w = row_h + m.pad + face.width(remember) + 2 * m.pad;
        let check = Rectangle::new(
            area.top_left,
            Size::new(check_w.min(area.size.width), row_h),
        );
        let focused = ui.focus() == Focus::Remember;
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
        face.draw(
            target,
            remember,
            bx.top_left + Point::new((side + m.pad) as i32, 0),
            ink,
        )?;
        // The Sign in button: right of the checkbox, or under it on narrow screens.
        let button_w = face.width(sign_in) + 4 * m.pad;
        let at = if plan.stacked {
            area.top_left + Point::new(0, (row_h + (m.margin / 2).max(1)) as i32)
        } else {
            area.top_left + Point::new(area.size.width.saturating_sub(button_w) as i32, 0)
        };
        let button = Rectangle::new(at, Size::new(button_w, row_h));
        let focused = ui.focus() == Focus::SignIn;
        self.draw_button(target, face, sign_in, button, focused)
    }

    fn draw_button<D>(
        &self,
        target: &mut D,
        face: Face,
        text: &str,
        area: Rectangle,
        focused: bool,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let p = D::Color::PALETTE;
        let (fill, ink) = if focused {
            (p.focus, p.focus_text)
        } else {
            (p.surface, p.surface_text)
        };
        target.fill_solid(&area, fill)?;
        face.draw_centered(target, text, area, ink)
    }

    /// Buttons centred in the controls band, `selected` highlighted.
    fn draw_buttons<D>(
        &self,
        target: &mut D,
        plan: &Plan,
        texts: &[Text],
        selected: usize,
        language: Language,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let p = D::Color::PALETTE;
        let m = &self.metrics;
        let area = plan.controls;
        target.fill_solid(&area, p.background)?;
        let count = texts.len().max(1) as u32;
        let gap = m.margin;
        let slot = area.size.width.saturating_sub(gap * (count - 1)) / count;
        let widest = texts
            .iter()
            .map(|t| plan.controls_face.width(t.get(language)))
            .max()
            .unwrap_or(0);
        let face = Face::fitting(
            plan.controls_face.height(),
            slot.saturating_sub(2 * m.pad),
            &texts_of(texts, language),
        );
        let w = (widest + 4 * m.pad)
            .min(slot)
            .max(face.width("OK") + 4 * m.pad);
        let total = w * count + gap * (count - 1);
        let mut x = area.top_left.x + (area.size.width.saturating_sub(total) / 2) as i32;
        for (i, t) in texts.iter().enumerate() {
            let button = Rectangle::new(
                Point::new(x, area.top_left.y),
                Size::new(w, area.size.height),
            );
            self.draw_button(target, face, t.get(language), button, i == selected)?;
            x += (w + gap) as i32;
        }
        Ok(())
    }

    /// The problem screen's buttons.
    fn draw_choices<D>(&self, target: &mut D, ui: &Ui, plan: &Plan) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let choices = ui.choices();
        let mut texts = [Text::Ok; 2];
        let mut n = 0;
        for (slot, choice) in texts.iter_mut().zip(choices.iter().flatten()) {
            *slot = choice.text();
            n += 1;
        }
        let texts = texts.get(..n.max(1)).unwrap_or(&[Text::Ok]);
        self.draw_buttons(
            target,
            plan,
            texts,
            usize::from(ui.choice()),
            ui.config().language,
        )
    }

    /// Paragraphs of wrapped text from the top of `area`, in the largest face up to the body
    /// face in which they all fit; returns what is left below.
    fn draw_paragraphs<D>(
        &self,
        target: &mut D,
        area: Rectangle,
        paragraphs: &[Paragraph<'_, D::Color>],
    ) -> Result<Rectangle, D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let (face, with_optional) = self.paragraph_face(area, paragraphs);
        let mut y = area.top_left.y;
        let bottom = area.top_left.y + area.size.height as i32;
        for paragraph in paragraphs.iter().filter(|p| with_optional || !p.optional) {
            let face = paragraph.face(face, area.size.width);
            for line in wrap(paragraph.text, face.columns(area.size.width)) {
                if y + face.height() as i32 > bottom {
                    break;
                }
                face.draw(
                    target,
                    line,
                    Point::new(area.top_left.x, y),
                    paragraph.color,
                )?;
                y += line_height(face) as i32;
            }
            y += paragraph_gap(face) as i32;
        }
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
        let line = signing_in_text(ui);
        let paragraphs = [Paragraph::new(&line, ())];
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
        ui: &Ui,
        problem: Problem,
        plan: &Plan,
    ) -> Result<(), D::Error>
    where
        D: DrawTarget,
        D::Color: Themed,
    {
        let p = D::Color::PALETTE;
        let language = ui.config().language;
        let mut headline: String<160> = String::new();
        match problem {
            Problem::Throttled { retry_after_secs } => {
                let mut wait: String<24> = String::new();
                let _ = text::duration(&mut wait, language, retry_after_secs);
                let _ = text::fill(&mut headline, problem.text().get(language), wait.as_str());
            }
            _ => {
                let _ = headline.push_str(problem.text().get(language));
            }
        }
        if problem != Problem::WrongCredentials {
            self.draw_paragraphs(target, plan.body, &[Paragraph::new(&headline, p.alert)])?;
            return Ok(());
        }
        let url = ui.config().security_info_url;
        let body = plan.body;
        let paragraphs = [
            Paragraph::new(&headline, p.alert),
            Paragraph::new(Text::AppPasswordExplained.get(language), p.text),
            Paragraph {
                optional: true,
                ..Paragraph::new(Text::CreateAppPasswordAt.get(language), p.text)
            },
            Paragraph {
                one_line: true,
                ..Paragraph::new(url, p.focus)
            },
        ];
        // A QR code beside the text where the screen is wide and the code still readable,
        // below it where there is room left, none on the smallest screens.
        #[cfg(feature = "qr")]
        {
            let beside = body.size.height;
            if body.size.width > beside * 3 / 2 && qr::fits(url, beside) {
                let text_w = body.size.width.saturating_sub(beside + self.metrics.margin);
                let text_area = Rectangle::new(body.top_left, Size::new(text_w, body.size.height));
                self.draw_paragraphs(target, text_area, &paragraphs)?;
                let qr_area = Rectangle::new(
                    body.top_left + Point::new((body.size.width - beside) as i32, 0),
                    Size::new(beside, beside),
                );
                return draw_qr(target, url, qr_area).map(|_| ());
            }
        }
        let _rest = self.draw_paragraphs(target, body, &paragraphs)?;
        #[cfg(feature = "qr")]
        draw_qr(target, url, _rest)?;
        Ok(())
    }
}

/// The QR code of `url` in `area`: dark modules on a light field. Every palette is a dark
/// theme, so its text colour is the light field and its background the dark modules.
#[cfg(feature = "qr")]
fn draw_qr<D>(target: &mut D, url: &str, area: Rectangle) -> Result<bool, D::Error>
where
    D: DrawTarget,
    D::Color: Themed,
{
    let p = D::Color::PALETTE;
    qr::draw(target, url, area, p.background, p.text)
}

/// A paragraph of a message screen.
#[derive(Debug, Clone, Copy)]
struct Paragraph<'a, C> {
    text: &'a str,
    color: C,
    /// Kept on one line in a smaller face if that fits (an address is easier to type from
    /// one line).
    one_line: bool,
    /// Left out when the display is too small for every paragraph.
    optional: bool,
}

impl<'a, C> Paragraph<'a, C> {
    fn new(text: &'a str, color: C) -> Self {
        Self {
            text,
            color,
            one_line: false,
            optional: false,
        }
    }

    /// The face this paragraph uses when the others use `face`.
    fn face(&self, face: Face, width: u32) -> Face {
        if self.one_line && face.width(self.text) > width {
            let smaller = Face::fitting(face.height(), width, &[self.text]);
            if smaller.width(self.text) <= width {
                return smaller;
            }
        }
        face
    }
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
        .filter(|p| with_optional || !p.optional)
        .map(|p| {
            let face = p.face(face, width);
            let lines = wrap(p.text, face.columns(width)).count() as u32;
            lines * line_height(face) + paragraph_gap(face)
        })
        .sum()
}

/// The signing-in screen's line.
fn signing_in_text(ui: &Ui) -> String<{ 32 + crate::keyboard::MAX_TEXT_LEN }> {
    if ui.resuming() {
        ui.signing_in_line()
    } else {
        let mut s = String::new();
        let _ = s.push_str(Text::SigningIn.get(ui.config().language));
        s
    }
}

/// The line under the password field: why the player is asked again, or the app-password hint.
fn hint_text(ui: &Ui) -> &'static str {
    ui.notice()
        .unwrap_or(Text::PasswordHint)
        .get(ui.config().language)
}

fn texts_of(texts: &[Text], language: Language) -> [&'static str; 2] {
    let mut out = [""; 2];
    for (slot, t) in out.iter_mut().zip(texts) {
        *slot = t.get(language);
    }
    out
}
