//! The hub's bounded memories of recent notes: their reply chains (thread membership at any
//! depth) and which tool connections and subscriptions each went to (one frame per note per
//! connection; deletions reach the subscriptions that had the post).

use std::collections::{HashMap, VecDeque};

use super::super::matching::NoteFacts;

/// How many reply links (child → parent) are remembered.
const CHAIN_WINDOW: usize = 4096;
/// How far up a reply chain is followed.
const MAX_DEPTH: usize = 64;
/// How many delivered notes are remembered.
const DELIVERED_WINDOW: usize = 1024;

/// Recent reply links, pnut post id → parent post id.
#[derive(Default)]
pub struct ReplyChains {
    parents: HashMap<String, String>,
    order: VecDeque<String>,
}

impl ReplyChains {
    fn record(&mut self, child: &str, parent: &str) {
        if self.parents.contains_key(child) {
            return;
        }
        self.parents.insert(child.to_owned(), parent.to_owned());
        self.order.push_back(child.to_owned());
        if self.order.len() > CHAIN_WINDOW
            && let Some(oldest) = self.order.pop_front()
        {
            self.parents.remove(&oldest);
        }
    }

    /// Remembers the note's link to its parent and the parent's to its own.
    pub fn learn(&mut self, note: &NoteFacts) {
        if let Some(parent) = &note.parent {
            self.record(&note.id, parent);
            if let Some(grandparent) = &note.grandparent {
                self.record(parent, grandparent);
            }
        }
    }

    /// Whether the note is `root` or its reply chain (as far as known) reaches `root`.
    pub fn reaches(&self, note: &NoteFacts, root: &str) -> bool {
        let mut id = note.id.as_str();
        for _ in 0..MAX_DEPTH {
            if id == root {
                return true;
            }
            let parent = match self.parents.get(id) {
                Some(parent) => parent.as_str(),
                None if id == note.id => match &note.parent {
                    Some(parent) => parent.as_str(),
                    None => return false,
                },
                None => return false,
            };
            id = parent;
        }
        false
    }
}

/// Where one note went: (connection id, subscription id) pairs.
pub type Recipients = Vec<(String, String)>;

/// Recent notes (Misskey id) → where they went.
#[derive(Default)]
pub struct Delivered {
    sent: HashMap<String, Recipients>,
    order: VecDeque<String>,
}

impl Delivered {
    /// Where note `misskey_id` went so far (empty when unknown).
    pub fn recipients(&self, misskey_id: &str) -> &[(String, String)] {
        self.sent.get(misskey_id).map_or(&[], Vec::as_slice)
    }

    /// Whether connection `connection_id` already had note `misskey_id`.
    pub fn had(&self, misskey_id: &str, connection_id: &str) -> bool {
        self.recipients(misskey_id)
            .iter()
            .any(|(connection, _)| connection == connection_id)
    }

    /// Adds recipients of note `misskey_id`.
    pub fn record(&mut self, misskey_id: &str, recipients: Recipients) {
        if let Some(known) = self.sent.get_mut(misskey_id) {
            known.extend(recipients);
            return;
        }
        self.sent.insert(misskey_id.to_owned(), recipients);
        self.order.push_back(misskey_id.to_owned());
        if self.order.len() > DELIVERED_WINDOW
            && let Some(oldest) = self.order.pop_front()
        {
            self.sent.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(id: &str, parent: Option<&str>, grandparent: Option<&str>) -> NoteFacts {
        NoteFacts {
            id: id.into(),
            parent: parent.map(Into::into),
            grandparent: grandparent.map(Into::into),
            ..NoteFacts::default()
        }
    }

    #[test]
    fn chains_reach_the_root_at_any_depth() {
        let mut chains = ReplyChains::default();
        chains.learn(&note("2", Some("1"), None));
        chains.learn(&note("3", Some("2"), Some("1")));
        chains.learn(&note("4", Some("3"), Some("2")));
        assert!(chains.reaches(&note("5", Some("4"), None), "1"));
        assert!(chains.reaches(&note("1", None, None), "1"));
        assert!(!chains.reaches(&note("9", Some("8"), None), "1"));
    }

    #[test]
    fn delivered_is_bounded() {
        let mut delivered = Delivered::default();
        for n in 0..=DELIVERED_WINDOW {
            delivered.record(&n.to_string(), vec![("c".into(), "s".into())]);
        }
        assert!(!delivered.had("0", "c"));
        assert!(delivered.had(&DELIVERED_WINDOW.to_string(), "c"));
    }
}
