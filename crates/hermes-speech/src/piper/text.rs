//! From the agent's written reply to what Piper should say: sentences, and
//! the spoken form of what espeak-ng reads wrongly.
//!
//! Why split sentences here: Piper takes a whole sentence at a time (its
//! prosody spans the sentence), and a caller hears the first sentence
//! while the rest is still being synthesised. A wrong split only costs a
//! short pause; a missed one delays the first audio by a sentence. So the
//! splitter errs towards splitting, except after titles and initials.
//!
//! Why rewrite before espeak-ng: it reads `555-123-4567` as "five hundred
//! fifty-five dash one hundred twenty-three dash four thousand…",
//! `$1,200.50` as "dollar one thousand two hundred point five zero",
//! `2:05` as "two zero five", treats `Dr.` as the end of a clause, and
//! `01/15/2024` as "zero one slash fifteen…". Everything else it already
//! says well (ordinals, `2:30 PM`, `9 a.m.`, `3.5`, `5%`, e-mail
//! addresses, `&`), and is left alone.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Splits a reply into sentences, in order, trimmed, none empty.
///
/// A sentence ends at `.`, `!`, `?` or `…` (with any closing quotes or
/// brackets) followed by a space or the end, and at a line break. A period
/// does not end one after a title (`Dr.`, `Mrs.`, `No.`), an initial
/// (`J. Smith`), before a lower-case word (`approx. two`), or after `a.m.`
/// / `p.m.` before a day or month (`9 a.m. Monday`). Decimal points and
/// thousands separators (`3.5`, `$1,200.50`) have no space after them.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = match c {
            '\n' => Some(i),
            '.' | '!' | '?' | '…' => {
                // Take the whole run: "?!", "...", `."`, `.)`.
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if matches!(
                        d,
                        '.' | '!' | '?' | '…' | '"' | '\'' | ')' | ']' | '”' | '’'
                    ) {
                        end = j + d.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let rest = &text[end..];
                let followed_by_space = rest.chars().next().is_none_or(char::is_whitespace);
                let ends = followed_by_space
                    && (c != '.'
                        || text[i..end].starts_with("..")
                        || period_ends_sentence(&text[start..i], rest));
                ends.then_some(end)
            }
            _ => None,
        };
        if let Some(end) = end {
            push_trimmed(&mut out, &text[start..end]);
            start = end;
        }
    }
    push_trimmed(&mut out, &text[start..]);
    out
}

fn push_trimmed<'a>(out: &mut Vec<&'a str>, s: &'a str) {
    let s = s.trim();
    if !s.is_empty() {
        out.push(s);
    }
}

/// Whether a single `.` after `before` (the sentence so far) ends the
/// sentence, given the text after it.
fn period_ends_sentence(before: &str, after: &str) -> bool {
    /// Abbreviations that come before a name or a number.
    const TITLES: &[&str] = &[
        "mr", "mrs", "ms", "dr", "prof", "rev", "hon", "st", "mt", "vs", "sgt", "capt", "gen",
        "gov", "sen", "rep", "atty", "messrs",
    ];
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '"')
        .next()
        .unwrap_or("");
    let next = after.split_whitespace().next().unwrap_or("");
    if next.is_empty() {
        return true;
    }
    let lower = word.to_lowercase();
    if TITLES.contains(&lower.as_str()) {
        return false;
    }
    // "No. 5", but "No. Thank you."
    if lower == "no" && next.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    // Initials: "J. Smith", "U.S. Bank".
    if word
        .split('.')
        .all(|part| part.chars().count() == 1 && part.chars().all(char::is_uppercase))
    {
        return false;
    }
    if (lower == "a.m" || lower == "p.m") && !time_of_day_ends_sentence(next) {
        return false;
    }
    // "approx. two", "e.g. a lease": a sentence does not start lower-case.
    !next.starts_with(|c: char| c.is_lowercase())
}

/// After "9 a.m.", whether the word `next` starts a new sentence: a
/// capital that is not a day or a month ("9 a.m. Monday").
fn time_of_day_ends_sentence(next: &str) -> bool {
    const DAYS_AND_MONTHS: &[&str] = &[
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "tomorrow",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = next
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    next.is_empty()
        || next.starts_with(char::is_uppercase) && !DAYS_AND_MONTHS.contains(&word.as_str())
}

/// The sentence with phone numbers, amounts of money, clock times, numeric
/// dates and a few abbreviations in the words espeak-ng should read.
pub fn speakable(sentence: &str) -> Cow<'_, str> {
    let mut text = Cow::Borrowed(sentence);
    for (re, rewrite) in REWRITES.iter() {
        if let Cow::Owned(s) = re.replace_all(&text, |c: &Captures| rewrite(c)) {
            text = Cow::Owned(s);
        }
    }
    text
}

type Rewrite = fn(&Captures) -> String;

/// In order: dates before phone numbers (`2024-01-15` is not a number to
/// spell out), money before times.
static REWRITES: LazyLock<Vec<(Regex, Rewrite)>> = LazyLock::new(|| {
    let rules: [(&str, Rewrite); 10] = [
        // 01/15/2024, 1/5/24 (US order).
        (r"(^|[^\w/])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b", |c| {
            date(&c[1], &c[2], &c[3], &c[4]).unwrap_or_else(|| c[0].to_owned())
        }),
        // 2024-01-15.
        (r"(^|[^\w-])(\d{4})-(\d{2})-(\d{2})\b", |c| {
            date(&c[1], &c[3], &c[4], &c[2]).unwrap_or_else(|| c[0].to_owned())
        }),
        // +1 (555) 123-4567, 1-800-555-0199, 555.123.4567, 555 123 4567.
        (
            r"(^|[^\w$+.,-])(?:(\+?1)[ .-]?)?(?:\((\d{3})\) ?|(\d{3})[ .-])(\d{3})[ .-](\d{4})\b",
            |c| {
                let area = c.get(3).or(c.get(4)).map_or("", |m| m.as_str());
                let mut groups = vec![area, &c[5], &c[6]];
                let country = c.get(2).map(|m| m.as_str().trim_start_matches('+'));
                if let Some(cc) = country {
                    groups.insert(0, cc);
                }
                format!("{}{}", &c[1], spell_digit_groups(&groups))
            },
        ),
        // 5551234567.
        (r"(^|[^\w$+.,-])(\d{3})(\d{3})(\d{4})\b", |c| {
            format!("{}{}", &c[1], spell_digit_groups(&[&c[2], &c[3], &c[4]]))
        }),
        // 555-0199.
        (r"(^|[^\w$+.,-])(\d{3})-(\d{4})\b", |c| {
            format!("{}{}", &c[1], spell_digit_groups(&[&c[2], &c[3]]))
        }),
        // $1,200.50, $5, $0.99, $2 million.
        (
            r"\$(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{2}))?(?: (thousand|million|billion)\b)?",
            money,
        ),
        // 2:05, 10:00 (2:30 stays: espeak-ng says "two thirty").
        (
            r"\b([01]?\d|2[0-3]):([0-5]\d)\b(\s*(?:[AaPp]\.?[Mm]\b\.?))?",
            clock,
        ),
        // "9 a.m. Monday": espeak-ng ends the sentence after "a.m.", and
        // reads "A M" as "uh M"; "AM" it reads right. The period stays
        // where it ends a sentence.
        (r"\b([AaPp])\.[Mm]\.(\s*)(\S*)", |c| {
            let ends = time_of_day_ends_sentence(&c[3]);
            let period = if ends { "." } else { "" };
            format!("{}M{period}{}{}", c[1].to_uppercase(), &c[2], &c[3])
        }),
        // #4 is "number four", not "hash four".
        (r"#(\d)", |c| format!("number {}", &c[1])),
        // Titles espeak-ng reads as the end of a clause; "No. 5" (but not
        // the answer "No. Thanks.").
        (r"\b(?:(Dr|Mr|Mrs|Ms|Prof)\.|(No)\.( ?\d))", |c| {
            let word = match c.get(1).map_or("No", |m| m.as_str()) {
                "Dr" => "Doctor",
                "Mr" => "Mister",
                "Mrs" => "Missus",
                "Ms" => "Miz",
                "Prof" => "Professor",
                _ => return format!("number{}", &c[3]),
            };
            word.to_owned()
        }),
    ];
    rules
        .into_iter()
        .map(|(re, f)| (Regex::new(re).expect("rewrite patterns are valid"), f))
        .collect()
});

/// "5 5 5, 1 2 3, 4 5 6 7": digit by digit, a pause between groups, as a
/// person reads a phone number.
fn spell_digit_groups(groups: &[&str]) -> String {
    groups
        .iter()
        .map(|g| g.chars().map(String::from).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

fn money(c: &Captures) -> String {
    let whole = c[1].replace(',', "");
    let cents = c
        .get(2)
        .map_or(0, |m| m.as_str().parse::<u32>().unwrap_or(0));
    if let Some(scale) = c.get(3) {
        // "$2.5 million" is not matched (the decimal is taken as cents), so
        // here there is no cents part worth saying.
        return format!("{} {} dollars", &c[1], scale.as_str());
    }
    let dollars = if whole.trim_start_matches('0').is_empty() {
        None
    } else if whole == "1" {
        Some("1 dollar".to_owned())
    } else {
        Some(format!("{} dollars", &c[1]))
    };
    let cents = match cents {
        0 => None,
        1 => Some("1 cent".to_owned()),
        n => Some(format!("{n} cents")),
    };
    match (dollars, cents) {
        (Some(d), Some(c)) => format!("{d} and {c}"),
        (Some(d), None) => d,
        (None, Some(c)) => c,
        (None, None) => "0 dollars".to_owned(),
    }
}

fn clock(c: &Captures) -> String {
    let hour = c[1].trim_start_matches('0');
    let hour = if hour.is_empty() { "0" } else { hour };
    let minutes = &c[2];
    let suffix = c.get(3).map_or("", |m| m.as_str());
    match minutes {
        "00" if suffix.is_empty() => format!("{hour} o'clock"),
        "00" => format!("{hour}{suffix}"),
        m if m.starts_with('0') => format!("{hour} oh {}{suffix}", &m[1..]),
        m => format!("{hour} {m}{suffix}"),
    }
}

/// "January 15th, 20 24" (espeak-ng says "twenty twenty-four"), or `None`
/// when it is not a date.
fn date(prefix: &str, month: &str, day: &str, year: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let m: usize = month.parse().ok()?;
    let d: u32 = day.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let year = match year.len() {
        2 => format!("20{year}"),
        _ => year.to_owned(),
    };
    let y: u32 = year.parse().ok()?;
    // Years are read in pairs ("nineteen eighty-five", "twenty twenty-four")
    // except 2000–2009 ("two thousand five") and round hundreds.
    let spoken_year = if (1100..2000).contains(&y) && y % 100 >= 10 || (2010..2100).contains(&y) {
        format!("{} {}", y / 100, y % 100)
    } else {
        year
    };
    let suffix = match (d % 10, d % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    Some(format!(
        "{prefix}{} {d}{suffix}, {spoken_year}",
        MONTHS[m - 1]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_read_digit_by_digit() {
        for (written, spoken) in [
            ("Call 555-123-4567.", "Call 5 5 5, 1 2 3, 4 5 6 7."),
            ("Call (555) 123-4567 now", "Call 5 5 5, 1 2 3, 4 5 6 7 now"),
            ("at +1 555 123 4567", "at 1, 5 5 5, 1 2 3, 4 5 6 7"),
            ("1-800-555-0199", "1, 8 0 0, 5 5 5, 0 1 9 9"),
            ("555.123.4567", "5 5 5, 1 2 3, 4 5 6 7"),
            ("number 5551234567?", "number 5 5 5, 1 2 3, 4 5 6 7?"),
            ("extension 555-0199", "extension 5 5 5, 0 1 9 9"),
        ] {
            assert_eq!(speakable(written), spoken, "{written}");
        }
    }

    #[test]
    fn money_is_read_in_dollars_and_cents() {
        for (written, spoken) in [
            ("$1,200.50", "1,200 dollars and 50 cents"),
            ("$5", "5 dollars"),
            ("$1", "1 dollar"),
            ("$5.00.", "5 dollars."),
            ("$0.99", "99 cents"),
            ("$10.01", "10 dollars and 1 cent"),
            ("$2 million", "2 million dollars"),
            ("a $350 consultation fee", "a 350 dollars consultation fee"),
        ] {
            assert_eq!(speakable(written), spoken, "{written}");
        }
    }

    #[test]
    fn times_dates_and_titles() {
        for (written, spoken) in [
            ("at 2:30 PM", "at 2 30 PM"),
            ("at 2:05 p.m.", "at 2 oh 5 PM."),
            ("at 9 a.m. Monday.", "at 9 AM Monday."),
            ("at 9 a.m. Please", "at 9 AM. Please"),
            ("9 a.m. to 5 p.m. daily", "9 AM to 5 PM daily"),
            ("at 10:00 AM", "at 10 AM"),
            ("at 12:00", "at 12 o'clock"),
            ("on 01/15/2024", "on January 15th, 20 24"),
            ("on 2024-03-02.", "on March 2nd, 20 24."),
            ("on 3/21/05", "on March 21st, 2005"),
            ("Dr. Smith and Mrs. Jones", "Doctor Smith and Missus Jones"),
            ("Case #4", "Case number 4"),
            ("Case No. 12. No. Thanks.", "Case number 12. No. Thanks."),
            // Left to espeak-ng, which reads these well.
            ("3.5 percent of 2,000", "3.5 percent of 2,000"),
            ("jane.doe@smithlaw.com", "jane.doe@smithlaw.com"),
            ("Case 2024-CV-1234", "Case 2024-CV-1234"),
        ] {
            assert_eq!(speakable(written), spoken, "{written}");
        }
    }

    #[test]
    fn sentences_split_at_the_end_of_sentences_only() {
        let reply = "Thank you, Ms. Rivera. Dr. Smith can see you at 9 a.m. Monday \
                     for a 3.5 hour review. The retainer is $1,200.50! Does that work? \
                     Please call 555-123-4567, e.g. after lunch. See you then.";
        assert_eq!(
            sentences(reply),
            [
                "Thank you, Ms. Rivera.",
                "Dr. Smith can see you at 9 a.m. Monday for a 3.5 hour review.",
                "The retainer is $1,200.50!",
                "Does that work?",
                "Please call 555-123-4567, e.g. after lunch.",
                "See you then.",
            ]
        );
    }

    #[test]
    fn sentences_edge_cases() {
        assert!(sentences("").is_empty());
        assert!(sentences("  \n ").is_empty());
        assert_eq!(sentences("No punctuation"), ["No punctuation"]);
        assert_eq!(
            sentences("We open at 9 a.m. Please bring your ID."),
            ["We open at 9 a.m.", "Please bring your ID."]
        );
        assert_eq!(
            sentences("He said \"wait.\" Then he left... Okay?! Yes."),
            ["He said \"wait.\"", "Then he left...", "Okay?!", "Yes."]
        );
        assert_eq!(
            sentences("Your lawyer is J. R. Smith of U.S. Legal. Bye."),
            ["Your lawyer is J. R. Smith of U.S. Legal.", "Bye."]
        );
        assert_eq!(
            sentences("Case No. 12 is closed. No. It is not."),
            ["Case No. 12 is closed.", "No.", "It is not."]
        );
        assert_eq!(
            sentences("First line\nSecond line."),
            ["First line", "Second line."]
        );
        assert_eq!(sentences("Version 2.0 is out."), ["Version 2.0 is out."]);
    }
}
