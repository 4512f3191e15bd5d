use super::controls::map;
use super::layout::anchors::{PS4, SWITCH};
use super::*;
use crate::input::{Button, Physical, StickSector};
use crate::profile::{OLED, Profile, XBOX360, ZUNE};

fn press<L: Layout>(profile: &Profile, keyboard: &mut Keyboard<L>, button: Button) -> Change {
    let input = map(profile, keyboard, Physical::Press(button)).expect("button maps");
    keyboard.handle(input)
}

fn stick<L: Layout>(keyboard: &mut Keyboard<L>, sector: Option<u8>) -> Change {
    let input = map(
        &XBOX360,
        keyboard,
        Physical::Stick(sector.and_then(StickSector::new)),
    )
    .expect("stick maps");
    keyboard.handle(input)
}

#[test]
fn cursor_wraps_on_both_axes() {
    let mut kb = Keyboard::for_profile(&OLED, Mode::AppPassword);
    assert_eq!(kb.cell(), Cell { row: 0, col: 0 });
    kb.handle(KeyInput::Move(Direction::Left));
    assert_eq!(kb.cell(), Cell { row: 0, col: 9 });
    kb.handle(KeyInput::Move(Direction::Right));
    assert_eq!(kb.cell(), Cell { row: 0, col: 0 });
    // Up wraps to the bottom row, which holds only the on-screen controls at its end: the
    // cursor lands on the first of them, the nearest to column 0.
    let first_control = (0..10)
        .find(|&col| kb.key(Cell { row: 3, col }) != Key::Blank)
        .unwrap();
    assert!(first_control > 0);
    kb.handle(KeyInput::Move(Direction::Up));
    assert_eq!(
        kb.cell(),
        Cell {
            row: 3,
            col: first_control
        }
    );
    assert_eq!(kb.key(kb.cell()), Key::Backspace);
    kb.handle(KeyInput::Move(Direction::Down));
    assert_eq!(
        kb.cell(),
        Cell {
            row: 0,
            col: first_control
        }
    );
}

#[test]
fn no_wrap_stops_at_the_edge() {
    let mut kb = Keyboard::new(PS4, Mode::Email, crate::profile::QuickEntry::None);
    let change = kb.handle(KeyInput::Move(Direction::Left));
    assert_eq!(kb.cell(), Cell { row: 0, col: 0 });
    assert!(change.damage.is_empty());
}

#[test]
fn changing_row_lands_on_the_nearest_key() {
    // OLED app-password page, 4 × 10: a..j, k..t, u..z then blanks, controls at the end.
    let mut kb = Keyboard::for_profile(&OLED, Mode::AppPassword);
    for _ in 0..9 {
        kb.handle(KeyInput::Move(Direction::Right));
    }
    assert_eq!(kb.key(kb.cell()), Key::Char('j'));
    kb.handle(KeyInput::Move(Direction::Down));
    assert_eq!(kb.key(kb.cell()), Key::Char('t'));
    kb.handle(KeyInput::Move(Direction::Down));
    // Row 2 holds u..z in columns 0..=5: from column 9 the nearest key is 'z'.
    assert_eq!(kb.cell(), Cell { row: 2, col: 5 });
    assert_eq!(kb.key(kb.cell()), Key::Char('z'));
    assert_eq!(kb.key(Cell { row: 2, col: 6 }), Key::Blank);
    // Moving right from 'z' skips the blanks and wraps to the row's first key.
    kb.handle(KeyInput::Move(Direction::Right));
    assert_eq!(kb.key(kb.cell()), Key::Char('u'));
}

#[test]
fn on_the_oled_done_is_one_move_up_from_a_fresh_email_keyboard() {
    // Done on the empty email field is the phone choice: one move and select.
    let mut kb = Keyboard::for_profile(&OLED, Mode::Email);
    assert_eq!(kb.key(kb.cell()), Key::Char('a'));
    kb.handle(KeyInput::Move(Direction::Up));
    assert_eq!(kb.key(kb.cell()), Key::Done);
    assert!(kb.handle(KeyInput::Press).done);
}

#[test]
fn moves_damage_two_keys_and_typing_the_field_only() {
    let mut kb = Keyboard::for_profile(&XBOX360, Mode::Email);
    let change = press(&XBOX360, &mut kb, Button::Right);
    assert_eq!(
        change.damage.keys,
        [Some(Cell { row: 0, col: 0 }), Some(Cell { row: 0, col: 1 })]
    );
    assert!(!change.damage.field && !change.damage.all_keys);
    let change = press(&XBOX360, &mut kb, Button::A);
    assert_eq!(kb.text(), "e");
    assert_eq!(
        change.damage,
        Damage {
            field: true,
            ..Damage::default()
        }
    );
}

#[test]
fn app_password_takes_letters_in_lower_case_and_finishes_at_sixteen() {
    let mut kb = Keyboard::for_profile(&XBOX360, Mode::AppPassword).with_text("ABcd-efgh");
    assert_eq!(kb.text(), "abcd", "the dash stops the prefill");
    let kb2 = Keyboard::for_profile(&XBOX360, Mode::AppPassword).with_text("abcdefghijklmno");
    assert_eq!(
        kb2.shown(false).collect::<std::string::String>(),
        "abcd efgh ijkl mno"
    );
    assert_eq!(
        kb2.shown(true).collect::<std::string::String>(),
        "•••• •••• •••• •••"
    );
    let mut kb2 = kb2;
    let change = kb2.handle(KeyInput::Press);
    assert!(change.done, "the 16th letter moves on");
    assert_eq!(kb2.text().len(), 16);
    let change = kb2.handle(KeyInput::Press);
    assert!(!change.damage.field, "no 17th letter");
    kb.handle(KeyInput::Space);
    assert_eq!(kb.text(), "abcd", "no spaces in app passwords");
    kb.handle(KeyInput::Reveal);
    assert!(kb.revealed());
    // An account password needs the full keyboard: the same field switches, text kept.
    let change = kb.handle(KeyInput::Symbols);
    assert!(change.damage.all_keys && change.damage.field);
    assert_eq!(kb.mode(), Mode::General);
    kb.handle(KeyInput::Symbols);
    kb.handle(KeyInput::Press);
    assert_eq!(kb.text(), "abcd0", "digits on the symbols page");
}

#[test]
fn editing_in_the_middle() {
    let mut kb = Keyboard::for_profile(&XBOX360, Mode::General).with_text("hllo");
    for _ in 0..3 {
        kb.handle(KeyInput::CursorLeft);
    }
    kb.handle(KeyInput::Move(Direction::Down)); // column 0 is a b c d: 'b'... find 'e'
    kb.handle(KeyInput::Move(Direction::Up));
    kb.handle(KeyInput::Move(Direction::Right)); // column 1: e f g h; row 0 = 'e'
    kb.handle(KeyInput::Press);
    assert_eq!(kb.text(), "hello");
    assert_eq!(kb.text_cursor(), 2);
    kb.handle(KeyInput::Backspace);
    kb.handle(KeyInput::Backspace);
    kb.handle(KeyInput::Backspace);
    assert_eq!(kb.text(), "llo");
    kb.handle(KeyInput::CursorRight);
    kb.handle(KeyInput::CursorRight);
    kb.handle(KeyInput::CursorRight);
    kb.handle(KeyInput::CursorRight);
    assert_eq!(kb.text_cursor(), 3);
}

#[test]
fn non_ascii_text_edits_by_character() {
    let mut kb = Keyboard::for_profile(&XBOX360, Mode::General).with_text("café");
    kb.handle(KeyInput::Backspace);
    assert_eq!(kb.text(), "caf");
    let kb = Keyboard::for_profile(&XBOX360, Mode::General).with_text("één");
    assert_eq!(kb.text(), "één");
}

#[test]
fn shift_is_one_shot_and_symbols_switch_pages() {
    let mut kb = Keyboard::for_profile(&XBOX360, Mode::General);
    let change = press(&XBOX360, &mut kb, Button::Lt);
    assert!(change.damage.all_keys && kb.shift());
    press(&XBOX360, &mut kb, Button::A);
    press(&XBOX360, &mut kb, Button::A);
    assert_eq!(kb.text(), "Aa");
    press(&XBOX360, &mut kb, Button::Rt);
    assert_eq!(kb.page(), 1);
    press(&XBOX360, &mut kb, Button::A);
    assert_eq!(kb.text(), "Aa0");
    press(&XBOX360, &mut kb, Button::Rt);
    assert_eq!(kb.page(), 0);
}

#[test]
fn domain_keys_type_all_or_nothing() {
    let full = "a".repeat(MAX_TEXT_LEN - 5);
    let mut kb = Keyboard::for_profile(&ZUNE, Mode::Email).with_text(&full);
    let domain_cell = (0..6u8)
        .flat_map(|row| (0..6u8).map(move |col| Cell { row, col }))
        .find(|c| kb.key(*c) == Key::Text("@outlook.com"))
        .expect("zune has @outlook.com on page 0");
    kb.handle(KeyInput::Group(Some(domain_cell.row)));
    kb.handle(KeyInput::Slot(domain_cell.col));
    assert_eq!(kb.text(), full, "does not fit: nothing typed");
    let mut kb = Keyboard::for_profile(&ZUNE, Mode::Email).with_text("alex");
    kb.handle(KeyInput::Group(Some(domain_cell.row)));
    kb.handle(KeyInput::Slot(domain_cell.col));
    assert_eq!(kb.text(), "alex@outlook.com");
}

#[test]
fn stick_wheel_types_with_sector_and_face_button_and_stays() {
    let mut kb = Keyboard::for_profile(&XBOX360, Mode::AppPassword);
    let change = stick(&mut kb, Some(1)); // ↗: column 1 = e f g h
    assert_eq!(change.damage.group, Some((None, Some(1))));
    press(&XBOX360, &mut kb, Button::Y); // top row
    press(&XBOX360, &mut kb, Button::A); // bottom row
    assert_eq!(kb.text(), "eh");
    assert_eq!(kb.group(), Some(1), "the stick is still held");
    stick(&mut kb, None);
    press(&XBOX360, &mut kb, Button::X); // centred again: X is backspace
    assert_eq!(kb.text(), "e");
    press(&XBOX360, &mut kb, Button::B);
    assert_eq!(kb.text(), "e");
}

#[test]
fn two_strokes_type_and_back_cancels_deletes_then_leaves() {
    let mut kb = Keyboard::for_profile(&ZUNE, Mode::AppPassword);
    press(&ZUNE, &mut kb, Button::Right); // row 1: g h i j k l
    press(&ZUNE, &mut kb, Button::Start); // column 5: l
    assert_eq!(kb.text(), "l");
    assert_eq!(kb.group(), None);
    press(&ZUNE, &mut kb, Button::Down);
    let change = press(&ZUNE, &mut kb, Button::Back);
    assert_eq!(kb.group(), None, "Back cancels the first stroke");
    assert!(!change.back);
    press(&ZUNE, &mut kb, Button::Back);
    assert_eq!(kb.text(), "", "then deletes");
    let change = press(&ZUNE, &mut kb, Button::Back);
    assert!(change.back, "then leaves");
}

#[test]
fn unknown_groups_and_slots_do_nothing() {
    let mut kb = Keyboard::for_profile(&XBOX360, Mode::AppPassword);
    assert!(kb.handle(KeyInput::Slot(0)).damage.is_empty());
    assert!(kb.handle(KeyInput::Group(Some(200))).damage.is_empty());
    kb.handle(KeyInput::Group(Some(7)));
    assert!(!kb.handle(KeyInput::Slot(9)).damage.field);
    assert!(
        map(&OLED, &kb, Physical::Press(Button::Lt)).is_none(),
        "the board has no LT"
    );
}

#[test]
fn anchors_are_the_modelled_grids() {
    let kb = Keyboard::new(SWITCH, Mode::Email, crate::profile::QuickEntry::None);
    assert_eq!(SWITCH.size(0), (4, 12));
    assert_eq!(kb.key(Cell { row: 1, col: 0 }), Key::Char('q'));
    assert_eq!(SWITCH.key(0, 0, 1, true), Key::Char('@'));
    assert_eq!(PS4.size(0), (4, 10));
    assert_eq!(PS4.key(0, 3, 7, false), Key::Char('@'));
}

#[cfg(feature = "std")]
mod planner_tests {
    use super::*;
    use crate::keyboard::planner::plan;

    fn replay<L: Layout + Clone>(profile: &Profile, start: &Keyboard<L>, target: &str) -> u32 {
        let plan = plan(profile, start, target).expect("typeable");
        let mut kb = start.clone();
        for action in &plan.actions {
            if let Some(input) = map(profile, &kb, *action) {
                kb.handle(input);
            }
        }
        assert_eq!(kb.text(), target, "{plan:?}");
        plan.presses
    }

    #[test]
    fn plans_replay_to_their_target_on_every_profile() {
        for profile in crate::profile::ALL {
            let kb = Keyboard::for_profile(profile, Mode::AppPassword);
            replay(profile, &kb, "qwtrmbndkdpzhsva");
            let kb = Keyboard::for_profile(profile, Mode::Email);
            replay(profile, &kb, "jan.de-vries_82@outlook.com");
        }
    }

    #[test]
    fn plans_are_minimal() {
        // 'a' is under the cursor: one press.
        let kb = Keyboard::for_profile(&OLED, Mode::AppPassword);
        assert_eq!(replay(&OLED, &kb, "a"), 1);
        // Stick wheel: sector then face button, then the face button alone in the same sector.
        let kb = Keyboard::for_profile(&XBOX360, Mode::AppPassword);
        assert_eq!(replay(&XBOX360, &kb, "eh"), 3);
        // Two strokes per letter, always.
        let kb = Keyboard::for_profile(&ZUNE, Mode::AppPassword);
        assert_eq!(replay(&ZUNE, &kb, "zz"), 4);
        // Switch anchor: 'q' is one down from the top-left, then select.
        let kb = Keyboard::new(SWITCH, Mode::Email, crate::profile::QuickEntry::None);
        assert_eq!(replay(&OLED, &kb, "q"), 2);
    }

    #[test]
    fn done_is_planned_on_every_profile() {
        use crate::keyboard::planner::plan_done;
        for profile in crate::profile::ALL {
            let start = Keyboard::for_profile(profile, Mode::Email).with_text("a@b.c");
            let plan = plan_done(profile, &start).expect("a way to finish");
            let mut kb = start.clone();
            let mut done = false;
            for action in &plan.actions {
                if let Some(input) = map(profile, &kb, *action) {
                    done |= kb.handle(input).done;
                }
            }
            assert!(done, "{}: {plan:?}", profile.name);
            assert_eq!(kb.text(), "a@b.c");
        }
        // The Xbox 360 has Start: one press.
        let start = Keyboard::for_profile(&XBOX360, Mode::Email);
        assert_eq!(plan_done(&XBOX360, &start).unwrap().presses, 1);
    }

    #[test]
    fn an_account_password_is_planned_across_the_switch_to_the_full_keyboard() {
        for profile in crate::profile::ALL {
            let kb = Keyboard::for_profile(profile, Mode::AppPassword);
            let planned = plan(profile, &kb, "couch-potato-42").expect(profile.name);
            let mut typed = kb.clone();
            for action in planned.actions {
                if let Some(input) = map(profile, &typed, action) {
                    typed.handle(input);
                }
            }
            assert_eq!(typed.text(), "couch-potato-42", "{}", profile.name);
            assert_eq!(typed.mode(), Mode::General, "{}", profile.name);
        }
    }

    #[test]
    fn every_character_an_address_may_hold_is_typed_on_every_profile() {
        // RFC 5322 atext, the dot, `@`, and capitals.
        let atext = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\
                     !#$%&'*+-/=?^_`{|}~.@";
        for profile in crate::profile::ALL {
            let fresh = Keyboard::for_profile(profile, Mode::Email);
            for c in atext.chars() {
                let target = std::format!("x{c}");
                let planned = plan(profile, &fresh, &target)
                    .unwrap_or_else(|| panic!("{}: cannot type {c:?}", profile.name));
                let mut typed = fresh.clone();
                for action in planned.actions {
                    if let Some(input) = map(profile, &typed, action) {
                        typed.handle(input);
                    }
                }
                assert_eq!(typed.text(), target, "{}", profile.name);
            }
            let irish = "O'Brien@example.ie";
            assert!(plan(profile, &fresh, irish).is_some(), "{}", profile.name);
        }
    }

    #[test]
    fn untypeable_targets_have_no_plan() {
        let kb = Keyboard::for_profile(&XBOX360, Mode::AppPassword);
        assert!(plan(&XBOX360, &kb, "abc€").is_none(), "on no page");
        assert!(plan(&XBOX360, &kb.clone().with_text("b"), "abc").is_none());
    }
}

#[test]
fn damages_merge_without_losing_a_key() {
    let cell = |col| Some(Cell { row: 0, col });
    let first = Damage {
        keys: [cell(0), cell(1)],
        ..Damage::default()
    };
    let second = Damage {
        keys: [cell(1), cell(2)],
        field: true,
        ..Damage::default()
    };
    let merged = first.merge(second);
    assert!(
        merged.all_keys && merged.field,
        "three keys become all keys"
    );
    let back = Damage {
        keys: [cell(1), cell(0)],
        ..Damage::default()
    };
    assert_eq!(first.merge(back).keys, [cell(0), cell(1)]);
    let group = |g: Option<(Option<u8>, Option<u8>)>| Damage {
        group: g,
        ..Damage::default()
    };
    assert_eq!(
        group(Some((None, Some(1))))
            .merge(group(Some((Some(1), Some(2)))))
            .group,
        Some((None, Some(2)))
    );
}
