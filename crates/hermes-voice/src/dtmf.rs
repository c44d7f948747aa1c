//! Keypad presses (DTMF) as answers: `0` on its own asks for a person at
//! any point; other digits are collected into one answer (a phone number,
//! an option), finished by `#` or by a pause.
//!
//! Pure: the pipeline pushes digits as they arrive and calls
//! [`Digits::tick`] with the time so a pause can end the entry.

/// What the keypad said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyed {
    /// `0` pressed on its own: the caller wants a person.
    Operator,
    /// Digits entered, e.g. a phone number.
    Entry(String),
}

#[derive(Debug, Clone)]
pub struct Digits {
    pause_ms: u64,
    buffer: String,
    last_ms: u64,
}

impl Digits {
    /// `pause_ms`: silence on the keypad that ends an entry.
    pub fn new(pause_ms: u64) -> Self {
        Digits {
            pause_ms,
            buffer: String::new(),
            last_ms: 0,
        }
    }

    /// A key at `now_ms`. `#` ends the entry; `*` starts it over.
    pub fn push(&mut self, key: char, now_ms: u64) -> Option<Keyed> {
        self.last_ms = now_ms;
        match key {
            '#' => self.finish(),
            '*' => {
                self.buffer.clear();
                None
            }
            '0'..='9' => {
                self.buffer.push(key);
                // A long entry can't be a phone number any more; stop
                // before it grows without bound.
                if self.buffer.len() >= 15 {
                    return self.finish();
                }
                None
            }
            _ => None,
        }
    }

    /// The time passes; a pause after digits ends the entry.
    pub fn tick(&mut self, now_ms: u64) -> Option<Keyed> {
        if !self.buffer.is_empty() && now_ms.saturating_sub(self.last_ms) >= self.pause_ms {
            return self.finish();
        }
        None
    }

    /// Whether digits are waiting for `#` or a pause.
    pub fn pending(&self) -> bool {
        !self.buffer.is_empty()
    }

    fn finish(&mut self) -> Option<Keyed> {
        let entry = std::mem::take(&mut self.buffer);
        match entry.as_str() {
            "" => None,
            "0" => Some(Keyed::Operator),
            _ => Some(Keyed::Entry(entry)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_alone_is_the_operator_and_digits_are_an_entry() {
        let mut d = Digits::new(2000);
        assert_eq!(d.push('0', 0), None);
        assert_eq!(d.tick(1999), None);
        assert_eq!(d.tick(2000), Some(Keyed::Operator));
        for (i, k) in "5035550142".chars().enumerate() {
            assert_eq!(d.push(k, 100 * i as u64), None);
        }
        assert!(d.pending());
        assert_eq!(d.push('#', 1100), Some(Keyed::Entry("5035550142".into())));
        assert!(!d.pending());
        // A number containing 0 is not the operator.
        d.push('1', 0);
        d.push('0', 10);
        assert_eq!(d.push('#', 20), Some(Keyed::Entry("10".into())));
        // * starts over; stray keys are ignored; # alone is nothing.
        d.push('9', 0);
        d.push('*', 1);
        d.push('A', 2);
        assert_eq!(d.push('#', 3), None);
        // Entries stop at 15 digits.
        let mut out = None;
        for i in 0..15 {
            out = d.push('1', i);
        }
        assert_eq!(out, Some(Keyed::Entry("1".repeat(15))));
    }
}
