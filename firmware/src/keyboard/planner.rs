//! The keyboard planner: the fewest presses that type a string, found by searching the
//! keyboard's real state machine.
//!
//! The search runs the actual [`Keyboard`] and the actual [`controls::map`]: every physical
//! action a profile has is tried from every reachable state, and only what the keyboard then
//! does counts. Nothing here models the layout separately, so a plan is right by construction:
//! replaying it on a device types the string.
//!
//! States are (navigation, characters typed so far); a state is kept only while the text is
//! the start of the target with the text cursor at its end (a plan that deletes or moves the
//! text cursor is never shorter). Costs are 0 or 1, so a 0-1 breadth-first search finds a
//! minimal plan. Host only (`std` feature).

use std::collections::{HashMap, VecDeque};

use super::controls;
use super::{Keyboard, Layout, Nav};
use crate::input::Physical;
use crate::profile::Profile;

/// A minimal way to type a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypingPlan {
    /// The physical actions, in order.
    pub actions: Vec<Physical>,
    /// Presses they cost (stick returns to centre are free).
    pub presses: u32,
}

/// The fewest presses that take `start` (with its current text) to `target`, or `None` if the
/// keyboard cannot type it. The field's text must already be a start of `target`.
pub fn plan<L: Layout + Clone>(
    profile: &Profile,
    start: &Keyboard<L>,
    target: &str,
) -> Option<TypingPlan> {
    let typed = start.text().len();
    if !target.starts_with(start.text()) || start.text_cursor() != typed {
        return None;
    }
    type State = (Nav, usize);
    let begin: State = (start.nav(), typed);
    let mut best: HashMap<State, (u32, Option<(State, Physical)>)> = HashMap::new();
    best.insert(begin, (0, None));
    let mut queue = VecDeque::from([begin]);
    let actions: Vec<(Physical, u32)> = controls::actions(profile).collect();

    while let Some(state) = queue.pop_front() {
        let Some(&(cost, _)) = best.get(&state) else {
            continue;
        };
        let (nav, len) = state;
        if len == target.len() {
            return Some(unwind(&best, state, cost));
        }
        let Some(typed) = target.get(..len) else {
            continue;
        };
        let here = start.restored(nav, typed);
        for &(action, price) in &actions {
            let Some(input) = controls::map(profile, &here, action) else {
                continue;
            };
            let mut next = here.clone();
            next.handle(input);
            let text = next.text();
            if !target.starts_with(text) || next.text_cursor() != text.len() {
                continue;
            }
            let to: State = (next.nav(), text.len());
            let cost = cost + price;
            if best.get(&to).is_none_or(|(known, _)| cost < *known) {
                best.insert(to, (cost, Some((state, action))));
                if price == 0 {
                    queue.push_front(to);
                } else {
                    queue.push_back(to);
                }
            }
        }
    }
    None
}

/// The fewest presses that finish the field (Done, by button or on-screen key) from `start`,
/// without changing its text: what a player does after typing.
pub fn plan_done<L: Layout + Clone>(profile: &Profile, start: &Keyboard<L>) -> Option<TypingPlan> {
    let mut best: HashMap<Nav, (u32, Option<(Nav, Physical)>)> = HashMap::new();
    best.insert(start.nav(), (0, None));
    let mut queue = VecDeque::from([start.nav()]);
    let actions: Vec<(Physical, u32)> = controls::actions(profile).collect();
    while let Some(nav) = queue.pop_front() {
        let Some(&(cost, _)) = best.get(&nav) else {
            continue;
        };
        let here = start.restored(nav, start.text());
        for &(action, price) in &actions {
            let Some(input) = controls::map(profile, &here, action) else {
                continue;
            };
            let mut next = here.clone();
            let change = next.handle(input);
            if change.done && next.text() == start.text() {
                let mut actions = Vec::new();
                let mut at = nav;
                while let Some((_, Some((previous, step)))) = best.get(&at) {
                    actions.push(*step);
                    at = *previous;
                }
                actions.reverse();
                actions.push(action);
                return Some(TypingPlan {
                    actions,
                    presses: cost + price,
                });
            }
            if next.text() != start.text() || change.back {
                continue;
            }
            let to = next.nav();
            let cost = cost + price;
            if best.get(&to).is_none_or(|(known, _)| cost < *known) {
                best.insert(to, (cost, Some((nav, action))));
                if price == 0 {
                    queue.push_front(to);
                } else {
                    queue.push_back(to);
                }
            }
        }
    }
    None
}

type Trail = HashMap<(Nav, usize), (u32, Option<((Nav, usize), Physical)>)>;

fn unwind(best: &Trail, mut state: (Nav, usize), presses: u32) -> TypingPlan {
    let mut actions = Vec::new();
    while let Some((_, Some((previous, action)))) = best.get(&state) {
        actions.push(*action);
        state = *previous;
    }
    actions.reverse();
    TypingPlan { actions, presses }
}
