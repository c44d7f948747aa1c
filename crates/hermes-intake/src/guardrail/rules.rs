//! The output guardrail's patterns, as data.
//!
//! Each rule is a regular expression over normalised text (see
//! [`super::text`]): lower case, contractions expanded, no punctuation.
//! Rules name *advice shapes* — a directive or prediction aimed at the
//! caller's legal position — rather than legal words, so intake talk that
//! mentions the same words ("did you file a police report?", "an attorney
//! can discuss whether to file a motion") passes.

use super::BlockReason::{self, *};

/// When a rule's match is excused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Excuse {
    /// Never: the words are a problem however they are framed.
    Never,
    /// When the clause is a question to the caller ("did you file a
    /// lawsuit?") or the match is deferred to an attorney ("... whether you
    /// should sue").
    QuestionOrDeferred,
    /// As above, and also when negated ("no attorney-client relationship
    /// exists") or made conditional ("... exists only if the firm agrees").
    Negated,
}

/// Legal actions the agent must not direct the caller to take (or not
/// take). Kept narrow enough that booking talk ("you can sign up for text
/// reminders") does not match.
const ACTIONS: &str = r"sue(?: them| him| her| the \w+| your \w+)?|countersue|counter sue|file (?:a |an |the |your |for |suit|charges|bankruptcy|chapter)\w*|press charges|appeal|settle|plead\w*|take (?:the|their|that|this|a) (?:plea|deal|offer|settlement)|accept (?:the|their|that|this|a|any|an) (?:plea|deal|offer|settlement|check)|reject (?:the|their|that|this|any) (?:plea|deal|offer|settlement)|sign (?:it|this|that|anything|nothing|any ?thing|the (?:lease|contract|release|settlement|papers|paperwork|deed|plea|waiver|severance|separation agreement|divorce papers|statement|confession|document)|their|his|her)|stop paying|stop making (?:the |your )?payments|withhold (?:the |your )?(?:rent|payment|payments|child support|support)|declare bankruptcy|go bankrupt|move out|leave (?:the country|the state|the house|the home|your home|your apartment|town)|talk to (?:the )?(?:police|cops|detectives?|investigators?|insurance|insurer|adjuster|prosecutor)|speak (?:to|with) (?:the )?(?:police|cops|detectives?|investigators?|insurance|insurer|adjuster|prosecutor)|give (?:a |any |them a |them any )?(?:recorded )?statements?|remain silent|stay silent|keep quiet|say nothing|fight (?:it|this|the|them|back)|contest|dispute (?:it|the|this|that)|ignore (?:it|them|the (?:summons|letter|notice|papers|lawsuit|debt|collector|subpoena|order|warrant))|report (?:it|this|them|him|her|that|the \w+) to (?:the )?(?:police|authorities|ice|hr|eeoc|labor|board|state|agency|department|insurance)|get (?:a )?divorced?|divorce (?:him|her|them)|get (?:a |an )?(?:restraining|protective) order|apply for|request a (?:jury|hearing|trial)|go to (?:trial|court|small claims)|demand|send (?:a |them a )?demand|pay (?:the debt|the bill|the ticket|the fine|the judgment|that debt|the collector|the collection|the landlord|the rent)|quit|resign|refuse (?:to (?:talk|speak|testify|sign|pay|leave|move|take|cooperate|consent|comply|let)|the (?:test|breathalyzer|search|offer|settlement|plea|deal)|a (?:breathalyzer|test|search))|waive|hide|transfer (?:the|your) (?:house|property|assets|money|car)|put (?:the|your) (?:house|property|assets|money) in|take (?:him|her|them|it|this|the \w+) to (?:court|small claims)|lawyer up|cooperate|admit|confess|apologize|let (?:them|the police|him|her) (?:in|search)|let (?:them|him|her|the \w+) (?:evict|take|keep|garnish|repossess|foreclose)|consent to (?:a |the )?(?:search|test|breathalyzer|interview)|change the locks|keep the (?:kids|children)";

/// Modal frames that turn an action into a directive.
const DIRECTIVE: &str = r"you (?:really |definitely |probably |absolutely |certainly |still |also |just |might |may |would |will )?(?:should|must|need to|have to|ought to|had better|better|might want to|may want to|would want to|would be wise to|are going to have to|will need to|will have to|would have to|can not|can|could|are allowed to|are able to)(?: not| never)?(?: just| really| definitely| immediately| also| probably| first| still| go ahead and)?|(?:i|we) (?:would|recommend|suggest|advise|think you should|would recommend|would suggest|would advise)(?: that)?(?: you)?(?: should)?(?: not)?|my (?:advice|recommendation|suggestion) (?:is|would be)(?: to| that you)?(?: not)?|make sure (?:that )?you(?: do not)?|be sure to(?: not)?|it is (?:best|better|smart|wise|a good idea) (?:to|that you)(?: not)?";

/// A bare imperative at the start of a clause ("don't sign anything",
/// "sue them").
const IMPERATIVE: &str = r"^(?:(?:so|then|and|please|just|also|definitely|whatever you do|honestly|first|now|okay|ok) )*(?:do not |never )?";

/// Outcomes the agent must not predict.
const OUTCOMES: &str = r"win(?: this| the case| your case| in court| at trial| it| everything| custody| big| hands down| easily|$)|lose(?: this| the case| your case| in court| at trial| it| everything|$)|get (?:full |joint |sole |primary )?custody|get (?:the )?(?:kids|children|house)|get (?:your |the )?(?:kids|children|license|money|green card|visa|deposit|job|car) back|get (?:a |the |your )?(?:green card|visa|citizenship|asylum)|be deported|get deported|go to (?:jail|prison)|get (?:jail|prison) time|serve time|be convicted|get convicted|be acquitted|beat (?:this|the charges?|the case|it)|get off|be found (?:guilty|not guilty|innocent)|get (?:a lot|millions|thousands|compensation|a settlement|a big settlement|alimony|spousal support|child support|probation|a reduced sentence|half|everything|paid|your money|damages|the charges? (?:dropped|dismissed|reduced))|recover (?:damages|compensation|\w+ dollars|\d+)|receive (?:compensation|damages|a settlement|an award)|win the case|lose the case|walk away with|qualify for (?:chapter|bankruptcy|asylum|a green card|a visa|citizenship|disability|unemployment|compensation|a discharge)|be (?:eligible|approved) for (?:chapter|bankruptcy|asylum|a green card|a visa|citizenship|a discharge)|be (?:fine|ok|okay) legally|(?:get|recover|receive|collect|win) (?:about |around |roughly |up to |at least |over |more than |maybe )?(?:\d+ ?(?:dollars|thousand|k|million|grand)|\d{4,}|\w+ (?:hundred|thousand|million)(?: dollars)?)|lose (?:the |your )?(?:house|home|kids|children|custody|license|case)|be (?:sued|charged with|arrested|criminally charged)";

pub(super) const RULES: &[(BlockReason, Excuse, &str)] = &[
    // ---- attorney-client claims -------------------------------------
    (
        AttorneyClientClaim,
        Excuse::Never,
        r"(?:i am|i am also|i will be|i can be|we are|we will be) (?:a|an|your) (?:lawyer|attorney|legal advisor|counsel|lawyers|attorneys)|i am (?:a )?licensed to practice|(?:i|we) (?:will |am going to |are going to |can )?(?:represent|am representing|are representing) you|(?:i|we) (?:represent|am representing|are representing) you|you are (?:now )?(?:our|my) client|you are now a client|(?:we|the firm|our firm) (?:have|has) (?:taken|accepted) your case|(?:we|the firm|i) (?:will|can|are going to) take your case|(?:we|the firm) (?:accept|are taking) your case|you (?:have hired|hired|have retained|retained) us|you are (?:now )?represented|you (?:now )?have an? (?:attorney|lawyer) now|we are (?:now )?your (?:lawyers|attorneys|legal team)",
    ),
    (
        AttorneyClientClaim,
        Excuse::Negated,
        r"attorney client (?:relationship|privilege) (?:exists|is formed|has been formed|now exists|is established|has been established|applies|covers|protects)|(?:this|our|the) (?:call|conversation|communication|chat) is (?:privileged|protected by (?:the )?attorney client privilege|covered by (?:the )?attorney client privilege)|(?:creates|formed|forms|establishes|established) (?:an |the )?attorney client relationship",
    ),
    // ---- fees and guarantees ----------------------------------------
    (
        FeeOrGuarantee,
        Excuse::Negated,
        r"(?:we|i|the firm|our firm|the attorneys?|our attorneys?|the lawyers?|our lawyers?|they) (?:can |will |do |absolutely |definitely )*(?:guarantee|assure you|ensure you)|(?:i|we) promise (?:you )?(?:that )?(?:you will|you are going to|a win|a result|results|an outcome|success|to win|to get you|you a)|guaranteed (?:win|result|results|outcome|settlement|money|success|to win|approval|green card|visa|dismissal)|100 percent (?:chance|sure|certain|guaranteed)|no win no fee|no recovery no fee",
    ),
    (
        FeeOrGuarantee,
        Excuse::Negated,
        r"(?:contingency(?: fee)?|retainer|(?:our|the|attorney|attorneys|lawyer|legal|flat|hourly) fees?|hourly rate|the fee) (?:is|are|will be|would be|of|runs|costs?)(?: only| just| about| around| usually| typically| generally)? (?:\d+|one|two|three|four|five|ten|twenty|thirty|forty|fifty|a third|free|nothing)|(?:you|you will|you would) (?:not )?(?:pay|owe) (?:nothing|anything|a thing|a dime|a penny) (?:unless|until|if)|(?:free|no charge|no fee) unless (?:we|you) win|(?:we|the firm|they) only get paid if|\d+ percent of (?:your|the|what) (?:settlement|recovery|award)|(?:it|this|representation|the case|your case) (?:will|would) (?:cost|run) (?:you )?(?:about |around |roughly )?\d+|on (?:a )?contingency",
    ),
    // ---- deadlines ----------------------------------------------------
    (
        DeadlineAdvice,
        Excuse::Never,
        r"statute of limitations(?: for [a-z ]{1,40}?| in [a-z ]{1,30}?)? (?:is|are|would be|will be|should be|runs|runs out|expires|ends|gives you)(?: only| probably| usually| generally| typically| about| around| just| likely| at least| in)? (?:(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a|an)(?: and a half)?(?: full)? (?:years?|months?|days?|weeks?)|on|at|the end|next|this|tomorrow|over|up|not|still|already|passed)|statute of limitations (?:has|had|have) (?:already )?(?:passed|run|expired|not run|not passed|not expired)",
    ),
    (
        DeadlineAdvice,
        Excuse::QuestionOrDeferred,
        r"you (?:have|still have|only have|have got|got|would have|will have)(?: only| just| about| roughly| around| up to| at least)? (?:until|till) \w+|you (?:have|still have|only have|have got|got|would have|will have)(?: only| just| about| roughly| around| up to| at least)? (?:\d+|one|two|three|four|five|six|seven|ten|fourteen|twenty|thirty|sixty|ninety|a|an)(?: full| more)? (?:days?|weeks?|months?|years?|business days?)(?: left)? (?:to|from|before|after|left)",
    ),
    (
        DeadlineAdvice,
        Excuse::QuestionOrDeferred,
        r"(?:you need to|you have to|you must|you should|you will need to|make sure you|be sure to|it is important to|it is important that you) (?:file|respond|answer|act|appeal|submit|apply|reply|move|sue|object)(?: \w+){0,3} (?:by|before|within|no later than|immediately|right away|quickly|soon|asap|today|tomorrow)",
    ),
    (
        DeadlineAdvice,
        Excuse::QuestionOrDeferred,
        r"(?:the|your) deadline (?:to|for) [a-z ]{1,40}? (?:is|was|will be|would be) (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a|an|on|in|the|next|this|tomorrow|monday|tuesday|wednesday|thursday|friday)|it is (?:too late|not too late) (?:to|for you)|you are (?:still )?(?:within|past|outside|inside|beyond) the (?:deadline|statute|time limit|limitations period)|you (?:have )?missed the deadline|you still have (?:time|plenty of time|enough time)|you are (?:still )?in time|the clock (?:starts|started|runs|ran)",
    ),
    // ---- outcome predictions ----------------------------------------
    (OutcomePrediction, Excuse::QuestionOrDeferred, "@OUTCOME@"),
    (
        OutcomePrediction,
        Excuse::QuestionOrDeferred,
        r"(?:you have|you have got|you got|that is|this is|it is|sounds like|looks like|seems like|you clearly have|you definitely have)(?: quite| such| really| very| pretty)? (?:a|an)(?: really| very| pretty| quite)? (?:strong|solid|good|great|winnable|weak|clear|easy|open and shut|slam dunk|airtight|valid|real|excellent|clear cut|losing|hopeless)(?: \w+)? (?:case|claim|lawsuit|defense|defence)|open and shut|slam dunk",
    ),
    (
        OutcomePrediction,
        Excuse::QuestionOrDeferred,
        r"you (?:definitely |clearly |probably |certainly |really |absolutely )?(?:have|have got|got) (?:a|an) (?:case|claim|lawsuit)(?: against| here| for|$)|you (?:do not have|have no) (?:a |any )?(?:real |valid |good |strong )?(?:case|claim|defense)|there is no (?:case|claim)|(?:your|the|this|that) (?:case|claim|defense) (?:is|looks|seems|sounds)(?: definitely| probably| very| really| pretty| quite)? (?:strong|solid|weak|a winner|easy|winnable|good|great|airtight|hopeless|valid|worth)",
    ),
    (
        OutcomePrediction,
        Excuse::QuestionOrDeferred,
        r"(?:case|claim|injury|injuries|settlement|lawsuit|it) (?:is|are|could be|might be|would be|will be|should be) worth|worth (?:about |around |at least |over |roughly |up to )?\d+|settle for (?:about |around |at least |over )?\d+|(?:expect|get|recover|receive) (?:a settlement|compensation|damages|an award) of",
    ),
    (
        OutcomePrediction,
        Excuse::QuestionOrDeferred,
        r"(?:the|a) (?:judge|court|jury|prosecutor|da|district attorney|state|insurance company|insurer|immigration judge|officer|trustee) (?:will|would|is going to|is likely to)(?: probably| likely| definitely| certainly)? (?:grant|give you|award|rule|side|dismiss|throw out|drop|reduce|deny|approve|find|believe|convict|acquit|offer|pay|settle)|(?:the )?charges? (?:will|would|are going to|should)(?: probably| likely| definitely)? (?:be )?(?:dropped|dismissed|reduced)|(?:they|the prosecutor|the state|the da) (?:will|would|are going to)(?: probably| likely)? (?:drop|dismiss|reduce) the",
    ),
    (
        OutcomePrediction,
        Excuse::QuestionOrDeferred,
        r"(?:most|many) people (?:in your (?:situation|position)|like you) (?:win|get|lose|settle|recover|are)|cases like (?:yours|this) (?:usually|typically|often|always|never|generally) (?:win|settle|lose|get|go|succeed|fail)|(?:your )?chances (?:are|look) (?:good|high|great|excellent|low|slim|strong|poor)|(?:good|great|excellent|high|strong|low|slim) chance (?:of|that you)|(?:your|the) odds (?:are|look)|likely outcome|(?:probably|likely|almost certainly) (?:win|lose|be deported|go to jail|get custody)",
    ),
    // ---- directives --------------------------------------------------
    (LegalAdvice, Excuse::QuestionOrDeferred, "@DIRECTIVE@"),
    (
        LegalAdvice,
        Excuse::Never,
        r"if i were you|in your (?:shoes|position|situation) i would|what i would do is|here is what you (?:should|need to) do",
    ),
    (
        LegalAdvice,
        Excuse::QuestionOrDeferred,
        r"you do not (?:really )?need (?:a |an |to hire a |to hire an |to get a |to get an |any )?(?:lawyer|attorney|legal help)|you can (?:handle|do) (?:this|it) (?:yourself|on your own)|represent yourself|you do not (?:have to|need to) (?:pay|respond|go to court|show up|appear|move|leave|sign|talk to|let them|comply|give them|answer (?:the|their|that) (?:complaint|summons|lawsuit|petition|subpoena))",
    ),
    (
        LegalAdvice,
        Excuse::QuestionOrDeferred,
        r"file (?:a |an |the |your )?(?:motion|lawsuit|suit|petition|appeal|answer|counterclaim|counter claim|objection|complaint|claim against|response|restraining order|protective order|bankruptcy|chapter \w+|for (?:divorce|bankruptcy|custody|asylum|chapter|unemployment|a restraining order|a protective order|an order))",
    ),
    (
        LegalAdvice,
        Excuse::QuestionOrDeferred,
        r"plead (?:guilty|not guilty|no contest|nolo)|take (?:the|a|their) plea|accept (?:the|a|their) plea|reject (?:the|a|their) plea",
    ),
    (
        LegalAdvice,
        Excuse::QuestionOrDeferred,
        r"(?:it is|that is|this is|what (?:they|he|she|your \w+) did (?:is|was)|that sounds|this sounds|it sounds|sounds|that was|this was|it was|that would be|this would be|it would be|that is clearly|that is definitely)(?: like| definitely| clearly| probably| totally| completely| absolutely| actually)*(?: a| an)? (?:illegal|unlawful|(?:il)?legal(?: for| to| in| under| here|$)|lawful|against the law|discrimination|discriminatory|wrongful termination|wrongful eviction|harassment|sexual harassment|negligence|negligent|malpractice|fraud|crime|felony|misdemeanor|retaliation|breach of contract|a violation|violation of|valid claim|defamation|slander|libel|self defense|entrapment|illegal search|not allowed|legal for them)",
    ),
    (
        LegalAdvice,
        Excuse::QuestionOrDeferred,
        r"(?:they|he|she|your (?:landlord|employer|boss|ex|husband|wife|spouse|company|bank|lender)|the (?:landlord|employer|company|police|cops|bank|lender|creditors?|collectors?|collection agency|prosecutor|court|judge|state|government|insurance company|insurer|other side|other driver)) (?:legally )?(?:can not|can|could|could not|are not allowed to|is not allowed to|are allowed to|is allowed to|have no right to|has no right to|have the right to|has the right to|are required to|is required to|have to|has to)(?: legally)? (?:do that|do this|pay you|give you (?:back )?your|return your|fire you|evict you|garnish|take (?:your|the) (?:house|car|kids|children|home|property|money|wages|paycheck|deposit)|deport you|arrest you|charge you|search|sue you|kick you out|repossess|foreclose|withhold|keep (?:your|the) (?:deposit|money|wages|paycheck)|lock you out|make you (?:pay|leave|move|sign|work|testify)|force you|come after you|go after you|collect|deny your claim|refuse to pay)",
    ),
    (
        LegalAdvice,
        Excuse::QuestionOrDeferred,
        r"you have (?:the|every|a|no) right to (?:remain silent|an attorney|a lawyer|counsel|a jury|a trial|a hearing|sue|appeal|refuse|a refund|compensation|your deposit|stay|withhold|break|fight|contest|be paid|overtime|file|a phone call)|your rights are \w+|you are (?:legally )?(?:owed|liable|at fault|not at fault|not liable|protected under|covered under)|you are (?:legally )?entitled(?: to (?:compensation|damages|overtime|benefits|a refund|half|support|alimony|custody|your deposit|back pay|severance|money|unemployment|a hearing|a lawyer|an attorney|a jury|a trial)|$)",
    ),
    (
        LegalAdvice,
        Excuse::QuestionOrDeferred,
        r"(?:you would be|you are|you will be|you might be|you would probably be) better off \w+ing|(?:settling|suing|filing|signing|accepting|pleading|fighting|waiting|paying|taking the deal|going to trial|declaring bankruptcy)(?: \w+){0,3} (?:is|would be|seems)(?: probably| definitely| really| likely)? (?:your|the) (?:best|smartest|safest|only|right) (?:option|bet|move|choice|path|way|thing)|your best (?:option|bet|move) (?:is|would be|is probably) to",
    ),
    (
        LegalAdvice,
        Excuse::QuestionOrDeferred,
        r"(?:the law|the statute|the code|state law|federal law|california law|\w+ law) (?:says|requires|states|allows|prohibits|protects|gives you|lets|is clear|is on your side)|under (?:the |\w+ )?(?:state |federal )?(?:law|statute|code) (?:you|they|your|he|she|the)|(?:legally|technically) (?:speaking )?(?:you|they|he|she|your|the)",
    ),
    (
        LegalAdvice,
        Excuse::QuestionOrDeferred,
        r"(?:go|take (?:it|this|them|him|her)) to small claims|small claims court is (?:your|the) best|the best (?:option|thing|move|strategy) (?:for you )?(?:is|would be) to",
    ),
];

/// Expands the two markers into full patterns.
pub(super) fn expand(pattern: &str) -> String {
    match pattern {
        "@DIRECTIVE@" => format!(r"(?:{DIRECTIVE}) (?:{ACTIONS})|{IMPERATIVE}(?:{ACTIONS})"),
        "@OUTCOME@" => format!(
            r"you (?:will|would|are going to|are likely to|could|might|may|should|are sure to|are certain to|can expect to|stand to|are bound to|would probably|will probably|will definitely|will certainly|will likely|will never|will not|would not|are not going to)(?: not| never)?(?: definitely| probably| likely| certainly| surely| easily| almost certainly| absolutely)? (?:{OUTCOMES})"
        ),
        other => other.to_string(),
    }
}
