//! The input side: is the caller asking for legal advice?
//!
//! Why a separate list: callers ask in their own words ("can my landlord
//! do that", "am I going to jail") and usually without a question mark
//! (speech-to-text drops it), so patterns are first-person or about the
//! other side, and statements of fact ("I signed a lease", "my case number
//! is…") must not match.
//!
//! "Do I need a lawyer?" is deliberately *not* an advice request: the
//! honest intake answer is that the firm can help at a consultation, which
//! is what the caller called for. [`asks_if_lawyer_needed`] detects it so
//! the dialogue can say so, and it is removed from the text before the
//! advice patterns run ("do I need a lawyer and should I sign" is still a
//! request, because of "should I sign").

use std::sync::LazyLock;

use regex::Regex;

use super::text;

static LAWYER_NEEDED: LazyLock<Regex> = LazyLock::new(|| {
    text::word_regex(
        r"(?:do|would|will|should) i (?:really |even |actually )?(?:need|get|hire|have|want|talk to|speak to|call|retain)(?: to (?:get|hire|have|talk to|speak to|retain))? (?:a|an|any) (?:lawyer|attorney)(?: for (?:this|that|it|something like this))?|is (?:it|this) (?:something )?(?:worth|worthwhile) (?:getting|hiring|talking to) (?:a|an) (?:lawyer|attorney)|can (?:a|an|your) (?:lawyer|attorney|firm) help(?: me)?(?: with (?:this|that))?|do you (?:handle|do|take) (?:this|these|cases like this|that)",
    )
});

static ADVICE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // Merits.
        r"(?:do|would|could) i (?:even |still |really |actually )?(?:have|got) (?:a|an|any) (?:good |strong |real |valid |legal )?(?:case|claim|lawsuit|grounds|defense)",
        r"(?:is|was) (?:this|that|it|there) (?:a|an|any) (?:good |strong |real |valid )?(?:case|claim|lawsuit)|(?:is|would) (?:it|this) (?:be )?worth (?:suing|pursuing|it|going to court|fighting)|worth suing",
        r"(?:can|could|may) i (?:still |even |also |legally |actually |just )?(?:sue|press charges|file|countersue|get (?:out of|custody|compensation|money|back|full|sole|my (?:money|deposit|kids|children|job|license|car|house|wages))|keep (?:the|my|our|his|her) (?:house|home|car|ring|deposit|money|kids|children|dog|business|retirement|401k|tax refund)|stop (?:paying|the (?:foreclosure|garnishment|eviction|sale|deportation)|them|him|her)|fight|break (?:the|my|a) (?:lease|contract)|withhold|refuse|move (?:out|away|the kids|the children|to another state|with (?:the|my) (?:kids|children))|take (?:the|my) (?:kids|children|deal|plea|offer|money)|be (?:deported|evicted|fired|arrested|sued|charged)|lose|recover|appeal|contest|demand|record (?:him|her|them|my|the conversation)|leave (?:the state|the country|with (?:the|my) (?:kids|children)))",
        r"(?:if|whether) i (?:can|could|should) (?:sue|file|press charges|keep|stop paying|fight|break|withhold|refuse|sign|plead|settle|appeal)",
        r"should i (?:just |still |even |also |really |actually |ever |not |go ahead and |try to )?(?:sue|sign|accept|settle|file|plead|pay (?:it|them|him|her|this|that|off|back|rent|the rent|the debt|the bill|the ticket|the fine|the collector|child support|alimony|the judgment)|stop paying|respond|report|agree to|fight|appeal|quit|ignore|apply for|marry|divorce|refuse|cash|hide|transfer|sell|confess|admit|turn myself in|show up|press charges|do|go to (?:court|the police|trial|the hearing)|call (?:the police|the cops|ice|the insurance|my insurance|the insurer|the adjuster|the prosecutor|the detective)|give (?:them |the police |the insurance )?(?:a |my )?(?:statement|recorded statement|deposition)|say anything|tell (?:the police|the insurance|the adjuster|my boss|my employer|the judge|the court|them|ice|the officer)|talk to (?:the (?:police|cops|insurance|adjuster|detective|prosecutor|other side|other driver)|them|him|her|police|my (?:boss|employer|landlord|ex|husband|wife|insurance))|get (?:a divorce|divorced|a restraining order|a protective order|custody|out)|take (?:the|their|this|that|a) (?:deal|plea|offer|settlement|money|check)|take (?:it|them|him|her) to court|move (?:out|away|the kids|the children|to another state)|leave (?:the (?:house|home|country|state|apartment)|him|her|my (?:husband|wife|job))|keep (?:the|my) (?:house|home|car|money|kids|children)|let (?:them|him|her|the police) (?:in|search|see|have|take)|answer (?:the|their|his|her|a) (?:questions?|complaint|summons|lawsuit|subpoena)|wait (?:to (?:file|sign|respond|sue)|for them))",
        r"what (?:should|do|can|could|would) i do|what i should do|what (?:are|is) my (?:rights|options|best option|next step|next steps|defense)|do i have (?:any )?rights|what rights do i have|know my rights|tell me what to do|what would you do|what do you (?:think|recommend|suggest|advise)|(?:any|some|give me|need|want|get) (?:legal )?advice|your advice|legal advice",
        // Outcomes and value.
        r"what (?:are|is) (?:my|the) (?:chances|odds|likelihood)|(?:am|are) (?:i|we) (?:going|headed) to (?:jail|prison)|(?:(?:am|are) (?:i|we) (?:going to|likely to)|will (?:i|we)|could (?:i|we)|would (?:i|we)) (?:go to (?:jail|prison)|(?:going|headed) to (?:jail|prison)|get (?:deported|custody|full custody|the (?:kids|children|house)|anything|money|compensation|paid|fired|evicted|arrested|sued|charged|convicted|jail|prison|time|off|a settlement|probation|a record|my (?:money|deposit|kids|children|job|license|car|house|green card|visa|papers|record))|be (?:deported|evicted|arrested|charged|convicted|sued|fired|ok|okay|fine|able to (?:keep|stay|get)|in trouble|liable|responsible|found guilty)|win|lose|have to (?:pay|go to court|move|leave|testify)|need to (?:go to court|testify|appear)|end up in|face (?:jail|prison|charges|deportation))",
        r"(?:how|what) (?:much|long) (?:time )?(?:is my case|is this case|can i get|could i get|will i get|would i get|might i get|do i get|is it worth|money can i|compensation|should i ask|am i facing|could i face|will i serve|would i serve|jail time|prison time)|what is (?:my|this|the) (?:case|claim) worth|how much (?:is|would) (?:my|this|the) (?:case|claim|settlement)",
        r"what (?:is|are) the (?:penalty|penalties|punishment|sentence|consequences) for|what (?:kind of|type of) (?:sentence|penalty|punishment|time)|what happens if i|what will happen (?:to me|if|when)|what is going to happen (?:to me|if|with my)",
        // Rights of the other side.
        r"can (?:they|he|she|my \w+|the \w+|your \w+|someone|an? \w+) (?:legally |really |actually |just )?(?:do (?:that|this)|fire|evict|take (?:my|the|our|his|her) (?:kids|children|house|car|home|money|wages|paycheck|deposit|license|property)|take me to court|garnish|keep (?:my|the|our) (?:deposit|money|kids|children|wages|paycheck|stuff|things|belongings|car|house|tips)|kick|deport|arrest|sue|make me|force me|come after|lock|withhold|search|tow|raise (?:my|the) rent|charge (?:me|him|her) with|refuse|deny|stop (?:paying|me from|us from|my (?:wages|pay|benefits|child support))|cut (?:my|off)|repossess|foreclose|change the locks|enter|record me|report me|hold (?:my|the) (?:kids|children|money|deposit|passport|papers|documents)|ban|not pay)",
        r"is (?:it|that|this) (?:even )?(?:legal|illegal|allowed|against the law|lawful|unlawful|a crime|discrimination|harassment|retaliation|wrongful termination|negligence|malpractice|fraud)|(?:are|is) (?:they|he|she|my \w+|the \w+) (?:even )?(?:allowed|permitted|supposed) to|(?:do|does) (?:they|he|she|my \w+|the \w+) have (?:the |a )?right to|(?:are|is) (?:they|he|she|my \w+|the \w+) (?:liable|responsible|at fault)",
        r"(?:am i|is it|was it) (?:liable|at fault|responsible|entitled|eligible|in trouble|my fault|legal for me)|who is (?:at fault|liable|responsible)|whose fault|is it my fault",
        // Deadlines and procedure.
        r"(?:what|when) is the (?:statute of limitations|deadline|time limit)|how long do i have|is it too late|(?:did|have) i miss(?:ed)? the deadline|when do i (?:have to|need to) (?:file|respond|answer|appeal)",
        r"(?:do|would) i (?:have to|need to|really have to) (?:pay (?:it|them|him|her|this|that|the|child|alimony|back)|go to court|respond|answer (?:the|their|a)|sign|move|leave|testify|appear|show up|talk to (?:the|them|police)|let (?:them|him|her|the police)|file|give (?:them|a|my) (?:statement|recorded|deposition)|accept|report|plead)|how (?:do|can|should|would) i (?:file|sue|fight|respond|appeal|handle|deal with|win|beat|stop (?:the|them|him|her|this|it|paying|a|wage)|avoid|protect|prove|challenge|contest|dispute|defend|get out of|get rid of|press charges|get (?:custody|a divorce|divorced|a restraining order|a protective order|my (?:money|deposit|kids|children|license|green card|papers|visa|wages)|compensation|the charges|a green card|a visa|citizenship|asylum|full custody|child support|alimony|paid))",
        r"plead (?:guilty|not guilty|no contest) or|guilty or not guilty",
    ]
    .iter()
    .map(|p| text::word_regex(p))
    .collect()
});

/// Whether the caller is asking for legal advice (merits, outcome, value,
/// rights, deadlines, what to do). False for "do I need a lawyer?"; see
/// [`asks_if_lawyer_needed`].
pub fn is_advice_request(caller_text: &str) -> bool {
    text::clauses(caller_text).iter().any(|clause| {
        let clause = LAWYER_NEEDED.replace_all(clause, " ");
        ADVICE.iter().any(|re| re.is_match(&clause))
    })
}

/// Whether the caller asks if they need a lawyer, or whether the firm can
/// help. The dialogue answers that the firm can help at a consultation
/// (not legal advice: it neither says they need one nor that they do not).
pub fn asks_if_lawyer_needed(caller_text: &str) -> bool {
    text::clauses(caller_text)
        .iter()
        .any(|clause| LAWYER_NEEDED.is_match(clause))
}
