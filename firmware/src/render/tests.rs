//! Partial redraws are partial, and right: each is checked against a full draw of the same
//! state, and measured with the counting target.

use embedded_graphics::pixelcolor::{BinaryColor, Gray4, Rgb565};
use embedded_graphics::prelude::{PixelColor, Size};
use embedded_graphics::primitives::Rectangle;
use embedded_graphics_simulator::SimulatorDisplay;
use std::vec::Vec;

use super::count::{Counting, union};
use super::{Renderer, Themed};
use crate::input::{Button, Physical, StickSector};
use crate::keyboard::{Cell, Damage};
use crate::profile::{ColorDepth, MONO_128X32, MONO_128X64, OLED, Profile, XBOX360, ZUNE};
use crate::text::Language;
use crate::ui::{Outcome, Redraw, Screen, Ui, UiConfig};

const URL: &str = "https://account.example.com/security";

fn new_ui(profile: &'static Profile, language: Language, remembered: Option<&str>) -> Ui {
    let mut ui = Ui::new(
        UiConfig {
            profile,
            language,
            security_info_url: URL,
        },
        remembered,
    );
    ui.start();
    ui
}

fn size(ui: &Ui) -> Size {
    let d = ui.config().profile.display;
    Size::new(d.width, d.height)
}

fn display<C: PixelColor + Themed>(ui: &Ui) -> Counting<SimulatorDisplay<C>> {
    Counting::new(SimulatorDisplay::with_default_color(
        size(ui),
        C::PALETTE.background,
    ))
}

/// A fresh full draw of `ui`.
fn full<C: PixelColor + Themed>(ui: &Ui) -> SimulatorDisplay<C> {
    let mut d = display::<C>(ui);
    Renderer::new(size(ui)).draw(&mut d, ui).unwrap();
    d.into_inner()
}

/// Plays `inputs` on `ui`, redrawing only what each event says; after each, the display must
/// equal a full draw of the new state. Returns what each redraw cost.
fn play<C: PixelColor + Themed>(
    ui: &mut Ui,
    inputs: &[Physical],
) -> Vec<(Redraw, u64, Option<Rectangle>)> {
    let renderer = Renderer::new(size(ui));
    let mut d = display::<C>(ui);
    renderer.draw(&mut d, ui).unwrap();
    let mut costs = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        d.reset();
        let effects = ui.input(*input);
        renderer.redraw(&mut d, ui, effects.redraw).unwrap();
        costs.push((effects.redraw, d.pixels(), d.bounds()));
        assert!(
            d.inner().diff(&full::<C>(ui)).is_none(),
            "{}: after input {i} ({input:?}, {:?}) the partial redraw differs from a full draw",
            ui.config().profile.name,
            effects.redraw
        );
    }
    costs
}

fn play_any(ui: &mut Ui, inputs: &[Physical]) -> Vec<(Redraw, u64, Option<Rectangle>)> {
    match ui.config().profile.display.color {
        ColorDepth::Rgb565 => play::<Rgb565>(ui, inputs),
        ColorDepth::Gray4 => play::<Gray4>(ui, inputs),
        ColorDepth::Binary => play::<BinaryColor>(ui, inputs),
    }
}

fn press(b: Button) -> Physical {
    Physical::Press(b)
}

#[test]
fn a_dpad_move_redraws_exactly_the_two_keys() {
    // The Zune's pad types strokes rather than moving a cursor: see the stroke test. On a
    // 128×32 display every key is too small for a label's margins, so a move also shows the
    // key in the field (see the cut-key test).
    for profile in [&XBOX360, &OLED, &MONO_128X64] {
        let mut ui = new_ui(profile, Language::English, None);
        let renderer = Renderer::new(size(&ui));
        let view = renderer.plan(&ui).keyboard.unwrap();
        let from = ui.email().cell();
        let mut d = display::<Rgb565>(&ui);
        renderer.draw(&mut d, &ui).unwrap();
        d.reset();
        let effects = ui.input(press(Button::Down));
        let to = ui.email().cell();
        assert_eq!(
            effects.redraw,
            Redraw::Keyboard(Damage {
                keys: [Some(from), Some(to)],
                ..Damage::default()
            })
        );
        renderer.redraw(&mut d, &ui, effects.redraw).unwrap();
        let (a, b) = (
            view.grid.cell(from.row, from.col),
            view.grid.cell(to.row, to.col),
        );
        for area in d.areas() {
            let inside = |k: Rectangle| k.intersection(area) == *area;
            assert!(
                inside(a) || inside(b),
                "{}: drew {area:?} outside the two keys",
                profile.name
            );
        }
        assert_eq!(d.bounds(), Some(union(a, b)), "{}", profile.name);
        let keys = u64::from(a.size.width * a.size.height + b.size.width * b.size.height);
        assert!(d.pixels() >= keys, "both keys are repainted in full");
        // Backgrounds plus labels: the labels' pixels are a fraction of the keys'.
        assert!(
            d.pixels() < keys * 2,
            "{}: {} pixels",
            profile.name,
            d.pixels()
        );
    }
}

#[test]
fn a_typed_character_redraws_the_field_only() {
    // On the Zune the second stroke also lets go of the row it picked (see the stroke test).
    for profile in [&XBOX360, &OLED, &MONO_128X64, &MONO_128X32] {
        let mut ui = new_ui(profile, Language::English, None);
        let renderer = Renderer::new(size(&ui));
        let field = renderer.plan(&ui).keyboard.unwrap().field;
        let mut d = display::<Rgb565>(&ui);
        // The first character also turns the phone choice back into Done (its key or legend).
        let effects = ui.input(press(Button::A));
        assert!(!ui.phone_choice());
        assert!(
            matches!(effects.redraw, Redraw::Keyboard(damage) if damage.field && damage.all_keys),
            "{}: {:?}",
            profile.name,
            effects.redraw
        );
        renderer.draw(&mut d, &ui).unwrap();
        d.reset();
        let effects = ui.input(press(Button::A));
        assert_eq!(ui.email().text(), "aa");
        renderer.redraw(&mut d, &ui, effects.redraw).unwrap();
        let bounds = d.bounds().unwrap();
        assert_eq!(field.intersection(&bounds), bounds, "{}", profile.name);
    }
}

#[test]
fn a_first_stroke_redraws_its_row_and_mark() {
    let mut ui = new_ui(&ZUNE, Language::English, None);
    let renderer = Renderer::new(size(&ui));
    let grid = renderer.plan(&ui).keyboard.unwrap().grid;
    let mut d = display::<Rgb565>(&ui);
    renderer.draw(&mut d, &ui).unwrap();
    d.reset();
    let effects = ui.input(press(Button::Down));
    renderer.redraw(&mut d, &ui, effects.redraw).unwrap();
    let row = union(grid.row_label(2), grid.cell(2, grid.cols - 1));
    let bounds = d.bounds().unwrap();
    assert_eq!(row.intersection(&bounds), bounds);
    assert!(d.inner().diff(&full::<Rgb565>(&ui)).is_none());
}

#[test]
fn picking_a_stick_column_redraws_that_column_and_its_arrow() {
    let mut ui = new_ui(&XBOX360, Language::English, None);
    let renderer = Renderer::new(size(&ui));
    let grid = renderer.plan(&ui).keyboard.unwrap().grid;
    let mut d = display::<Rgb565>(&ui);
    renderer.draw(&mut d, &ui).unwrap();
    d.reset();
    let effects = ui.input(Physical::Stick(StickSector::new(3)));
    renderer.redraw(&mut d, &ui, effects.redraw).unwrap();
    let column = union(grid.column_label(3), grid.cell(grid.rows - 1, 3));
    let bounds = d.bounds().unwrap();
    assert_eq!(column.intersection(&bounds), bounds);
    assert!(d.inner().diff(&full::<Rgb565>(&ui)).is_none());
}

#[test]
fn every_partial_redraw_equals_a_full_draw() {
    use Button::*;
    // Up first: the grid wraps to the bottom row, where the domain and word keys are too
    // small for their labels on the small displays (the field shows the label in full).
    let moves = [
        Up, Right, Right, Down, Down, Right, Up, Left, A, Down, Down, A, Right, Up, Up, Left, Left,
        A,
    ];
    for profile in [&XBOX360, &ZUNE, &OLED, &MONO_128X64, &MONO_128X32] {
        for language in Language::ALL {
            let mut inputs: Vec<Physical> = moves.iter().map(|b| press(*b)).collect();
            if profile.stick {
                inputs.extend([
                    Physical::Stick(StickSector::new(1)),
                    press(B),
                    Physical::Stick(StickSector::new(5)),
                    press(Y),
                    Physical::Stick(None),
                    press(X),
                    press(Lt),
                    press(A),
                    press(Rt),
                    press(Right),
                    press(Lb),
                    press(Rb),
                ]);
            }
            let mut ui = new_ui(profile, language, None);
            play_any(&mut ui, &inputs);
            // The password screen: typing, then the controls.
            let mut ui = new_ui(profile, language, Some("alex@outlook.com"));
            ui.input(press(Button::A));
            assert_eq!(ui.screen(), Screen::Password);
            let mut inputs: Vec<Physical> = moves.iter().map(|b| press(*b)).collect();
            inputs.extend([
                press(Start),
                press(Up),
                press(A),
                press(Down),
                press(Up),
                press(Up),
            ]);
            play_any(&mut ui, &inputs);
        }
    }
}

#[test]
fn problem_buttons_and_progress_redraw_in_place() {
    for profile in [&XBOX360, &ZUNE, &OLED, &MONO_128X64, &MONO_128X32] {
        let mut ui = new_ui(profile, Language::Dutch, Some("alex@outlook.com"));
        assert_eq!(ui.screen(), Screen::SigningIn);
        let renderer = Renderer::new(size(&ui));
        let mut d = display::<Rgb565>(&ui);
        renderer.draw(&mut d, &ui).unwrap();
        for t in 1..=3 {
            d.reset();
            let effects = ui.tick(t * 1000);
            assert_eq!(effects.redraw, Redraw::Progress);
            renderer.redraw(&mut d, &ui, effects.redraw).unwrap();
            assert!(
                d.inner().diff(&full::<Rgb565>(&ui)).is_none(),
                "{}",
                profile.name
            );
            assert!(
                d.bytes() * 4 < d.frame_bytes(),
                "{}: a spinner frame is small",
                profile.name
            );
        }
        ui.outcome(Outcome::CannotReach);
        let mut inputs = [
            press(Button::Right),
            press(Button::Left),
            press(Button::Down),
        ];
        inputs.rotate_left(0);
        play_any(&mut ui, &inputs);
    }
}

#[test]
fn counting_counts_fills_and_pixels() {
    let mut d = Counting::new(SimulatorDisplay::<Gray4>::new(Size::new(10, 10)));
    use embedded_graphics::prelude::{DrawTarget, Point};
    d.fill_solid(
        &Rectangle::new(Point::new(1, 1), Size::new(3, 2)),
        Gray4::new(3),
    )
    .unwrap();
    d.draw_iter([embedded_graphics::Pixel(Point::new(8, 8), Gray4::new(1))])
        .unwrap();
    assert_eq!(d.pixels(), 7);
    assert_eq!(d.bytes(), 4, "4 bits a pixel, rounded up");
    assert_eq!(d.frame_bytes(), 50);
    assert_eq!(
        d.bounds(),
        Some(Rectangle::new(Point::new(1, 1), Size::new(8, 8)))
    );
    assert_eq!(d.areas().len(), 2);
    let _ = Cell { row: 0, col: 0 };
}

#[test]
fn a_move_onto_a_cut_key_also_shows_its_label_in_the_field() {
    let mut ui = new_ui(&OLED, Language::English, None);
    let renderer = Renderer::new(size(&ui));
    let view = renderer.plan(&ui).keyboard.unwrap();
    let mut d = display::<Gray4>(&ui);
    renderer.draw(&mut d, &ui).unwrap();
    d.reset();
    // Up wraps to the bottom row: `@outlook.com` in a 12-pixel key.
    let effects = ui.input(press(Button::Up));
    let cell = ui.email().cell();
    assert!(view.cut(ui.email(), cell));
    renderer.redraw(&mut d, &ui, effects.redraw).unwrap();
    let allowed = [
        view.grid.cell(0, 0),
        view.grid.cell(cell.row, cell.col),
        view.field,
    ];
    for area in d.areas() {
        assert!(
            allowed.iter().any(|a| a.intersection(area) == *area),
            "drew {area:?}"
        );
    }
    assert!(d.inner().diff(&full::<Gray4>(&ui)).is_none());
}

#[test]
#[cfg(feature = "large-text")]
fn text_on_720p_is_at_least_20_pixels_high() {
    let mut ui = new_ui(&XBOX360, Language::Dutch, Some("alex@outlook.com"));
    let renderer = Renderer::new(size(&ui));
    let m = renderer.metrics();
    assert!(m.title.height() >= 20 && m.body.height() >= 20);
    ui.input(press(Button::A));
    for screen in [Screen::Password, Screen::Account] {
        if screen == Screen::Account {
            ui.input(press(Button::B));
        }
        assert_eq!(ui.screen(), screen);
        let plan = renderer.plan(&ui);
        let view = plan.keyboard.unwrap();
        let (legend, legend_face) = view.legend.unwrap();
        assert!(legend.size.height >= 20 && legend_face.height() >= 20);
        for face in [view.field_face, view.grid.key_face, view.grid.label_face] {
            assert!(face.height() >= 20, "{screen:?}: {face:?}");
        }
        if screen == Screen::Password {
            assert!(plan.hint.is_some() && plan.hint_face.height() >= 20);
            assert!(plan.controls_face.height() >= 20);
        }
    }
}

#[test]
fn latin_1_and_symbols_render() {
    use super::face::Face;
    use embedded_graphics::prelude::Point;
    let draw = |text: &str| {
        let mut d = SimulatorDisplay::<Gray4>::new(Size::new(40, 40));
        Face::at_most(20)
            .draw(&mut d, text, Point::zero(), Gray4::new(15))
            .unwrap();
        d
    };
    // Not the font's replacement glyph, and not nothing.
    for c in ["é", "ë", "ï", "«", "↑", "↗", "●", "▶", "•"] {
        let drawn = draw(c);
        assert!(
            drawn.diff(&draw("?")).is_some(),
            "{c} draws as the replacement"
        );
        assert!(drawn.diff(&draw(" ")).is_some(), "{c} draws nothing");
    }
}
