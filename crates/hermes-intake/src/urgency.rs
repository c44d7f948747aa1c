//! Urgency triage: is someone in danger, in custody, or about to miss a
//! date that cannot be moved?
//!
//! Why rules and not a model: a missed "he's outside my door" is the worst
//! failure this product can have, so the cues are listed, negation-aware
//! ("he was never arrested", "no court date yet") and tested one by one.
//! Where precision and safety pull apart, safety wins: self-harm cues
//! ignore negation, uncertainty ("I'm not sure but he was arrested") is
//! not a denial, and a hearing cue counts any date the caller mentioned
//! within seven days (we cannot tell which event a date belongs to).
//!
//! `today` is a parameter so triage is pure and reproducible. Relative
//! words other than "today", "tonight" and "tomorrow" are the NLU's job:
//! it resolves them and passes `dates_mentioned`.

use std::sync::LazyLock;

use chrono::{Days, NaiveDate};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::guardrail::text::{self, find_affirmed, word_regex};

/// How soon someone at the firm must act. Ordered: `Emergency` is highest.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// The normal queue.
    #[default]
    Routine,
    /// Within days: a date within 30 days, a deadline with no date.
    Soon,
    /// Today: custody, a date within 7 days, an imminent sale or lockout.
    Urgent,
    /// Danger now: the caller is told to call 911.
    Emergency,
}

/// Why a matter is urgent; staff see these on the intake.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrgencyReason {
    /// Someone is arrested, in jail or in custody.
    InCustody,
    /// A court date, hearing, trial or arraignment soon.
    HearingSoon { date: NaiveDate },
    /// A response deadline, service of papers or a limitation period.
    DeadlineSoon { date: Option<NaiveDate> },
    /// A foreclosure sale, garnishment, levy or repossession.
    ForeclosureOrGarnishment,
    /// A lockout, writ of possession or eviction carried out now.
    EvictionLockout,
    /// Abuse, violence, threats or stalking by someone close.
    DomesticViolence,
    /// Immediate danger: a weapon, someone at the door, a threat to kill.
    Danger,
    /// The caller may harm themselves.
    SelfHarm,
    /// Someone held by ICE or facing removal now.
    ImmigrationDetention,
    /// A restraining or protective order is needed or pending.
    ProtectiveOrderNeeded,
    /// A child taken, withheld, or removed by child protective services.
    ChildCustodyEmergency,
    /// No cue matched, but most independent readings of the caller's words
    /// (see `reasoning`) judged the matter this urgent; a person checks.
    Assessed { level: Urgency },
}

/// The triage of what the caller has said so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triage {
    pub level: Urgency,
    pub reasons: Vec<UrgencyReason>,
    /// What the agent must tell the caller now, in order.
    pub say: Vec<String>,
}

/// Said whenever the level is `Emergency`.
pub const SAY_911: &str = "If you are in immediate danger, please hang up and call 911.";
/// Said for self-harm cues.
pub const SAY_988: &str = "If you are thinking about hurting yourself, please call or text 988 to reach the Suicide and Crisis Lifeline, any time, day or night.";
/// Said when domestic violence or a protective order is relevant.
pub const SAY_DV_HOTLINE: &str = "You can also reach the National Domestic Violence Hotline any time at 1-800-799-7233, or text START to 88788.";

/// Canonical order of `say` lines: 911 first.
const SAY_ORDER: [&str; 3] = [SAY_911, SAY_988, SAY_DV_HOTLINE];

/// A list of cue patterns, with an optional clause-level veto (`unless`:
/// "arrested … and released") and phrases hidden before matching (`mask`:
/// "drug abuse" is not abuse of a person).
struct Cues {
    cues: Regex,
    unless: Option<Regex>,
    mask: Option<Regex>,
}

impl Cues {
    fn new(cues: &str, unless: Option<&str>) -> Self {
        Cues {
            cues: word_regex(cues),
            unless: unless.map(word_regex),
            mask: None,
        }
    }

    fn masking(mut self, mask: &str) -> Self {
        self.mask = Some(word_regex(mask));
        self
    }

    /// Whether any clause affirms a cue (not negated, no exception).
    fn affirmed(&self, clauses: &[String]) -> bool {
        clauses.iter().any(|c| self.affirmed_in(c))
    }

    fn affirmed_in(&self, clause: &str) -> bool {
        if self.unless.as_ref().is_some_and(|u| u.is_match(clause)) {
            return false;
        }
        match &self.mask {
            // Masked words become "x" so offsets and negation scope hold.
            Some(mask) => {
                let masked = mask.replace_all(clause, |c: &regex::Captures| {
                    c[0].split(' ').map(|_| "x").collect::<Vec<_>>().join(" ")
                });
                find_affirmed(&self.cues, &masked).is_some()
            }
            None => find_affirmed(&self.cues, clause).is_some(),
        }
    }
}

const PAST: &str = r"years? ago|last year|months ago|in (?:19|20)\d\d|used to|in the past|back (?:in|when)|when i was (?:a )?(?:kid|child|little|young)|expunge\w*|sealed|my record|criminal record|background check|old (?:case|charge|conviction)";

static CUSTODY: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"arrested|under arrest|in (?:the )?(?:county |city )?jail|at (?:the )?(?:county |city )?jail|to jail|in (?:police )?custody|into custody|locked up|behind bars|in prison|booked (?:in|into)|got booked|picked up by (?:the )?(?:police|cops|sheriff)|(?:police|cops) (?:took|picked up|arrested|have)|being held|held without bail|needs? bail|post (?:his |her |their )?(?:bail|bond)|bail (?:is|was) set|detained|in lockup|incarcerated",
        Some(&format!(
            r"{PAST}|out on (?:bail|bond)|bailed out|bonded out|released|got out|out of (?:jail|custody|prison)|let go|free now"
        )),
    )
});

static IMMIGRATION_DETENTION: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"ice (?:detained|arrested|took|picked up|has|is holding|raided|came|got)|detained by (?:ice|immigration|border patrol|cbp|dhs)|(?:ice|immigration) (?:custody|detention|detained|hold|jail|arrested|took|picked)|detention (?:center|facility)|in detention|picked up by (?:ice|immigration)|(?:being|going to be|about to be|getting) deported|deport(?:ed|ing)? (?:him|her|them|me) (?:today|tomorrow|tonight|this week)|deportation (?:flight|tomorrow|today)|removal (?:flight|tomorrow|today)",
        Some(PAST),
    )
});

static HEARING: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"court date|court hearing|hearings?|trial|arraignment|court appearance|(?:go|appear|be|show up) (?:to|in|at) court|in court|sentencing|deposition|mediation|immigration court|master calendar|pretrial|pre trial|show cause|see the judge|(?:before|in front of) (?:a|the) judge|court (?:tomorrow|today|on|this|next)|court (?:is|was set|is set|will be)(?: for)? (?:tomorrow|today|on|this|next|in|monday|tuesday|wednesday|thursday|friday)|trial date|hearing date|court on",
        Some(
            r"hearing (?:aid|aids|loss|impaired)|free trial|trial period|clinical trial|trial basis|hard of hearing",
        ),
    )
});

static DEADLINE_STRONG: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"served with|been served|got served|was served|summons|(?:have|need|has) to (?:respond|answer|reply|file) (?:by|before|within)|respond (?:by|within)|answer (?:the|a) (?:complaint|lawsuit|petition)|days to (?:respond|answer|reply|appeal|file|move out|leave)|deadline (?:is|was set|to respond|to file|to answer|to appeal|to apply)|due (?:by|on|tomorrow|today|this week)|running out of time|time is running out|about to (?:expire|run out)|expires?|expiring|last day to|notice to appear|notice of (?:hearing|default|deportation|removal)|default judgment|(?:\d+|three|five|seven|ten|fourteen|thirty|sixty) day notice|notice to (?:quit|vacate|pay|cure)|statute of limitations (?:is (?:up|almost|about|running)|runs out|expires|is coming up)|subpoena",
        Some(PAST),
    )
});

static DEADLINE_WEAK: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"deadlines?|statute of limitations|time limit|filing deadline|have to respond|need to respond|response is due",
        None,
    )
});

static SALE_OR_LEVY: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"foreclosure (?:sale|auction|date)|sheriff s? sale|trustee s? sale|auction(?:ing|ed)? (?:off )?(?:my|our|the) (?:house|home|property)|(?:house|home|property) (?:is |will be |is going to be |is being |goes )?(?:auctioned|sold at auction|up for auction)|garnish\w*|wage levy|bank levy|levied|levy on|froze my (?:bank )?account|(?:bank )?account (?:was |is |got )?(?:frozen|levied)|repossess\w* (?:my|our|the) (?:car|truck|vehicle)|(?:car|truck|vehicle) (?:is being|was|will be|getting|is going to be|is about to be|about to be) repossessed|(?:utilities|power|water|heat) (?:shut|cut|turned) off",
        Some(PAST),
    )
});

static FORECLOSURE_SOON: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"foreclos\w*|behind on (?:my |our |the )?mortgage|notice of default|repossess\w*|lien on",
        Some(PAST),
    )
});

static LOCKOUT: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"lock(?:ed)? (?:me|us) out|changed the locks|lockout|locked out of (?:my|our|the) (?:apartment|house|home|unit|place)|writ of (?:possession|restitution)|sheriff (?:is coming|is going to|will|came|gave us|posted)|(?:evict\w*|kick\w*|throw\w*) (?:me|us) out (?:today|tomorrow|tonight|this week|now)|eviction (?:is )?(?:today|tomorrow|this week)|(?:24|twenty four|48|forty eight) hour notice|have to (?:be out|leave|move out) (?:by )?(?:today|tomorrow|tonight|this week)|(?:put|threw|throwing) (?:our|my) (?:stuff|things|belongings) (?:out|on the street)",
        None,
    )
});

static EVICTION_SOON: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"evict\w*|eviction notice|notice to vacate|unlawful detainer",
        Some(PAST),
    )
});

static DV: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"domestic (?:violence|abuse|violent)|abus(?:ive|ed|es|ing|e)|abuser|(?:he|she|they|husband|wife|boyfriend|girlfriend|partner|ex|spouse|father|mother|dad|mom|stepfather|stepdad|roommate) (?:beat|beats|choked|chokes|strangled|punched|punches|kicked|slapped|attacked|raped|assaulted|stalks|stalked|is stalking|broke my (?:arm|nose|jaw|ribs|wrist|hand|finger|phone)|burned)|(?:beat|beats|choked|strangled|punched|slapped|kicked|shoved|raped|assaulted|attacked|threw|grabbed|dragged|pushed) (?:me|us|my (?:son|daughter|kids|children|baby|mom|mother))|(?:beating|choking|hurting|abusing) (?:me|us|the kids|my kids|my children|the children)|threaten\w* (?:to kill|to hurt|to harm|to take the kids|to take my kids|my life|to shoot|to beat|me with)|death threats?|stalk\w*|(?:afraid|scared|terrified|fearful) of (?:him|her|them|my (?:husband|wife|ex|boyfriend|girlfriend|partner))|sexual(?:ly)? (?:abuse|abused|assault|assaulted)|raped|molest\w*|child abuse",
        None,
    )
    .masking(r"(?:drug|substance|alcohol|opioid|elder financial) abuse|abuse of (?:discretion|process|power)|abused (?:drugs|alcohol|substances)")
});

/// "He hit me" is violence unless the clause is about a vehicle: car
/// accident callers say "a truck hit me" all the time.
static HIT: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"(?:he|she|they|husband|wife|boyfriend|girlfriend|partner|ex|spouse|father|mother|dad|mom|stepfather|roommate) (?:hit|hits|hitting) (?:me|us|my (?:son|daughter|kids|children|baby))|(?:hit|hits|hitting) (?:me|us) (?:again|all the time|when|every)|hit me",
        Some(
            r"accident|crash|collision|driver|driving|drove|rear ended|intersection|red light|stop sign|lane|vehicle|truck|bus|motorcycle|bicycle|bike|pedestrian|crosswalk|parking lot|t boned|(?:his|her|their|the|a|my|our) (?:car|van|suv)|ball|pitch",
        ),
    )
});

/// "He threatened me" is violence unless the threat is a lawsuit, a
/// firing, a report or collections.
static THREATS: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"(?:threatened|threatening|threatens|threaten) (?:me|us|my (?:kids|children|family))",
        Some(
            r"sue|lawsuit|court|fire|firing|collections?|report|evict\w*|call the police|credit|ticket|repossess\w*|foreclos\w*|garnish\w*|deport|ice|immigration|lawyer|attorney|cut off|take away my (?:hours|job)",
        ),
    )
});

static PAST_RE: LazyLock<Regex> = LazyLock::new(|| word_regex(PAST));

static DANGER: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"in danger|(?:immediate|imminent) danger|(?:i am|we are|i do) not (?:feel )?safe|unsafe|(?:he|she|they) (?:is|are) (?:outside|at my door|at the door|here right now|coming (?:over|back|here)|on (?:his|her|their|the) way|breaking in|trying to (?:get|break) in)|(?:has|have|had|with|pulled|pointed|got|grabbed) a (?:gun|knife|weapon)|(?:going to|will|wants to|tried to|try to) kill|kill (?:me|us|my)|(?:scared|afraid|terrified|worried|fear) for my (?:life|safety)|(?:scared|afraid|terrified) for (?:my|our) (?:safety|lives|life)|fear for (?:my|our) (?:life|lives|safety)|kidnap\w*|(?:child|son|daughter|kids|children|baby) (?:is |are )?(?:missing|in danger)|trafficked|trafficking",
        None,
    )
});

static SELF_HARM: LazyLock<Regex> = LazyLock::new(|| {
    word_regex(
        r"kill(?:ing)? myself|end(?:ing)? my (?:own )?life|take my (?:own )?life|suicid\w*|hurt(?:ing)? myself|harm(?:ing)? myself|self harm|(?:do not|never) want to (?:live|be alive|be here|wake up)|want to die|better off dead|no reason to live|end it all|(?:can not|do not want to) go on",
    )
});

static PROTECTIVE_ORDER: LazyLock<Regex> = LazyLock::new(|| {
    word_regex(
        r"restraining order|protective order|order of protection|protection order|no contact order|peace order|stay away order|emergency protective",
    )
});

static CHILD_EMERGENCY: LazyLock<Cues> = LazyLock::new(|| {
    Cues::new(
        r"(?:took|take|taken|kidnapped|hiding|keeping|will not (?:return|give back|bring back)|not (?:returning|bringing back|giving back)|refuses? to (?:return|give back|bring back)|ran off with|left (?:the state|the country) with) (?:my|our|the) (?:kids|children|son|daughter|child|baby|boy|girl)|emergency custody|cps (?:took|came|removed|is|has)|child protective services|dcfs|dcs took|(?:removed|took) (?:my|our|the) (?:kids|children|child|baby) (?:away|into care|into custody)|in foster care",
        Some(PAST),
    )
});

static TODAY_WORDS: LazyLock<Regex> =
    LazyLock::new(|| word_regex(r"today|tonight|this (?:morning|afternoon|evening)|right now"));
static TOMORROW_WORDS: LazyLock<Regex> = LazyLock::new(|| word_regex(r"tomorrow"));

/// Triage of one caller utterance. `dates_mentioned` are the dates the NLU
/// resolved from it ("next Tuesday" → a date); `today` is the firm's date.
pub fn triage(caller_text: &str, dates_mentioned: &[NaiveDate], today: NaiveDate) -> Triage {
    let clauses = text::clauses(caller_text);
    let mut out = Triage::default();
    let add = |reason: UrgencyReason, level: Urgency, out: &mut Triage| {
        out.level = out.level.max(level);
        if !out.reasons.contains(&reason) {
            out.reasons.push(reason);
        }
    };

    if clauses.iter().any(|c| SELF_HARM.is_match(c)) {
        add(UrgencyReason::SelfHarm, Urgency::Emergency, &mut out);
    }
    if DANGER.affirmed(&clauses) {
        add(UrgencyReason::Danger, Urgency::Emergency, &mut out);
    }
    // Violence said to be in the past is urgent, not an emergency.
    if let Some(c) = clauses
        .iter()
        .find(|c| DV.affirmed_in(c) || HIT.affirmed_in(c) || THREATS.affirmed_in(c))
    {
        let level = if PAST_RE.is_match(c) {
            Urgency::Urgent
        } else {
            Urgency::Emergency
        };
        add(UrgencyReason::DomesticViolence, level, &mut out);
    }
    // Mentioned at all: "I don't have a protective order yet" is a need.
    if clauses.iter().any(|c| PROTECTIVE_ORDER.is_match(c)) {
        add(
            UrgencyReason::ProtectiveOrderNeeded,
            Urgency::Urgent,
            &mut out,
        );
    }
    if CHILD_EMERGENCY.affirmed(&clauses) {
        add(
            UrgencyReason::ChildCustodyEmergency,
            Urgency::Urgent,
            &mut out,
        );
    }
    if IMMIGRATION_DETENTION.affirmed(&clauses) {
        add(
            UrgencyReason::ImmigrationDetention,
            Urgency::Urgent,
            &mut out,
        );
    }
    if CUSTODY.affirmed(&clauses) {
        add(UrgencyReason::InCustody, Urgency::Urgent, &mut out);
    }

    let dates = candidate_dates(&clauses, dates_mentioned, today);
    let within = |days: u64| {
        let end = today.checked_add_days(Days::new(days)).unwrap_or(today);
        dates.iter().copied().find(|d| *d >= today && *d <= end)
    };
    let (week, month) = (within(7), within(30));

    if HEARING.affirmed(&clauses) {
        if let Some(date) = week {
            add(
                UrgencyReason::HearingSoon { date },
                Urgency::Urgent,
                &mut out,
            );
        } else if let Some(date) = month {
            add(UrgencyReason::HearingSoon { date }, Urgency::Soon, &mut out);
        }
    }

    let strong = DEADLINE_STRONG.affirmed(&clauses);
    if strong || DEADLINE_WEAK.affirmed(&clauses) {
        let (date, level) = match (week, month) {
            (Some(d), _) => (Some(d), Urgency::Urgent),
            (None, Some(d)) => (Some(d), Urgency::Soon),
            (None, None) if strong => (None, Urgency::Urgent),
            (None, None) => (None, Urgency::Soon),
        };
        add(UrgencyReason::DeadlineSoon { date }, level, &mut out);
    }

    if SALE_OR_LEVY.affirmed(&clauses) {
        add(
            UrgencyReason::ForeclosureOrGarnishment,
            Urgency::Urgent,
            &mut out,
        );
    } else if FORECLOSURE_SOON.affirmed(&clauses) {
        let level = if week.is_some() {
            Urgency::Urgent
        } else {
            Urgency::Soon
        };
        add(UrgencyReason::ForeclosureOrGarnishment, level, &mut out);
    }
    if LOCKOUT.affirmed(&clauses) {
        add(UrgencyReason::EvictionLockout, Urgency::Urgent, &mut out);
    } else if EVICTION_SOON.affirmed(&clauses) {
        let level = if week.is_some() {
            Urgency::Urgent
        } else {
            Urgency::Soon
        };
        add(UrgencyReason::EvictionLockout, level, &mut out);
    }

    out.say = say_for(&out);
    out
}

/// The dates a hearing or deadline cue may refer to: the NLU's, plus
/// "today"/"tomorrow" said in the same utterance.
fn candidate_dates(
    clauses: &[String],
    mentioned: &[NaiveDate],
    today: NaiveDate,
) -> Vec<NaiveDate> {
    let mut dates = mentioned.to_vec();
    if clauses.iter().any(|c| TODAY_WORDS.is_match(c)) {
        dates.push(today);
    }
    if clauses.iter().any(|c| TOMORROW_WORDS.is_match(c)) {
        dates.extend(today.succ_opt());
    }
    dates.sort();
    dates
}

fn say_for(t: &Triage) -> Vec<String> {
    let has = |r: &UrgencyReason| t.reasons.contains(r);
    let mut say = Vec::new();
    if t.level == Urgency::Emergency || has(&UrgencyReason::ProtectiveOrderNeeded) {
        say.push(SAY_911.to_string());
    }
    if has(&UrgencyReason::SelfHarm) {
        say.push(SAY_988.to_string());
    }
    if has(&UrgencyReason::DomesticViolence) || has(&UrgencyReason::ProtectiveOrderNeeded) {
        say.push(SAY_DV_HOTLINE.to_string());
    }
    say
}

/// Accumulates triage over turns: the higher level, every reason once,
/// every required line once in canonical order (911 first).
pub fn merge(a: &Triage, b: &Triage) -> Triage {
    let mut reasons = a.reasons.clone();
    for r in &b.reasons {
        if !reasons.contains(r) {
            reasons.push(r.clone());
        }
    }
    let all: Vec<&String> = a.say.iter().chain(&b.say).collect();
    let mut say: Vec<String> = SAY_ORDER
        .iter()
        .filter(|line| all.iter().any(|s| s.as_str() == **line))
        .map(|s| (*s).to_string())
        .collect();
    for s in all {
        if !say.contains(s) {
            say.push(s.clone());
        }
    }
    Triage {
        level: a.level.max(b.level),
        reasons,
        say,
    }
}

#[cfg(test)]
mod tests;
