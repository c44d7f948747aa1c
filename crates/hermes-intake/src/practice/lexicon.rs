//! Cue phrases per practice area, as data: (weight, pattern over
//! normalised text). Weights: 1.0 names the matter ("divorce", "DUI"),
//! 0.6 points strongly ("my boss", "the other driver"), 0.3 hints
//! ("hospital", "court"). Patterns use stems (`injur\w*`) so "injured",
//! "injuries" and "injury" all count once.

/// An area's cues and the phrases hidden before matching (so "in custody"
/// is not a family cue and "real estate" is not an estate cue).
pub(super) struct Area {
    pub key: &'static str,
    pub cues: &'static [(f32, &'static str)],
    pub mask: Option<&'static str>,
}

pub(super) const AREAS: &[Area] = &[
    Area {
        key: "personal_injury",
        mask: None,
        cues: &[
            (
                1.0,
                r"(?:car|auto|truck|semi|motorcycle|bike|bicycle|vehicle|traffic|bus|uber|lyft|boating|boat|scooter) (?:accident|crash|collision|wreck)|(?:accident|crash|collision|wreck) (?:with|involving) (?:a|an|the) (?:car|truck|semi|motorcycle|bus|driver)",
            ),
            (
                1.0,
                r"rear ended|t boned|side swiped|sideswiped|head on collision|hit and run|fender bender|ran a red light|ran the red light|ran a stop sign|(?:car|truck|bus|van|suv|driver) (?:hit|struck|crashed into|ran into|slammed into) (?:my|our|me|us)",
            ),
            (
                1.0,
                r"hit by (?:a|an|the) (?:car|truck|bus|driver|vehicle|drunk driver|motorcycle|van|suv)|struck by (?:a|an|the) (?:car|truck|vehicle)",
            ),
            (
                1.0,
                r"slip(?:ped)? and f[ae]ll|trip(?:ped)? and f[ae]ll|slipped on|tripped (?:on|over)|fell (?:on|down|off|at|in)|wet floor",
            ),
            (
                1.0,
                r"(?:dog|animal|pit bull) (?:bit|bite|bitten|attack\w*)|bitten by",
            ),
            (
                1.0,
                r"personal injury|medical malpractice|malpractice|wrongful death|nursing home (?:abuse|neglect)|product liability|defective (?:product|device|airbag|tire)|birth injury|misdiagnos\w*|surgical error",
            ),
            (
                0.6,
                r"injur\w*|whiplash|concussion|broken (?:arm|leg|bone|bones|wrist|ankle|neck|back|ribs?|hip)|broke my (?:arm|leg|wrist|ankle|neck|back|hip)|fractur\w*|herniated|torn (?:acl|ligament|rotator)|paralyz\w*|brain injury|spinal|physical therapy|chiropractor|surgery",
            ),
            (
                0.6,
                r"(?:the )?other driver|insurance adjuster|adjuster|their insurance|at fault driver|police report|pedestrian|crosswalk|(?:was|got|been) hurt|pain and suffering|medical bills|ambulance|emergency room|er visit",
            ),
            (0.3, r"accident|hospital|doctor|hurt|pain|insurance company"),
        ],
    },
    Area {
        key: "family",
        mask: Some(
            r"(?:in|into|police|ice|federal|immigration|protective|state|jail|county) custody|custody of (?:the )?(?:police|ice|state)|child (?:porn\w*|pornography)|family (?:business|member owns)|separated from (?:employment|the company|work)|support (?:staff|team|ticket)|tech support|customer support",
        ),
        cues: &[
            (
                1.0,
                r"divorc\w*|child custody|custody (?:of|battle|case|hearing|agreement|order|arrangement|schedule|dispute|evaluation)|(?:full|joint|sole|primary|physical|legal|shared|temporary|emergency) custody|custody|visitation|parenting (?:time|plan)|child support|spousal support|alimony|maintenance payments|paternity|adoption|adopt (?:my|a|our|her|his)|legal separation|prenup\w*|postnup\w*|annul\w*|guardianship of (?:my|a|our|the) (?:grand)?(?:child|children|kids|son|daughter|niece|nephew)|stepparent adoption",
            ),
            (
                0.6,
                r"(?:my|our) (?:husband|wife|spouse|ex|ex husband|ex wife|kids|children) (?:and i|left|won t|will not|moved|wants|took|filed)|(?:ex husband|ex wife|baby daddy|baby mama|baby s father|baby s mother|father of my (?:child|children|kids)|mother of my (?:child|children|kids)|co parent\w*)|separat(?:ed|ing|ion)|split up|broke up with|marital|marriage|married|(?:my|our) (?:ex|spouse)|family court|restraining order|protective order|domestic violence|abus\w*",
            ),
            (
                0.3,
                r"husband|wife|kids|children|son|daughter|baby|family|parenting",
            ),
        ],
    },
    Area {
        key: "criminal_defense",
        mask: Some(r"(?:no|not) (?:arrested|charged)|car accident police report|police report"),
        cues: &[
            (
                1.0,
                r"arrest\w*|charged with|criminal (?:charge|charges|case|record)|d u i|dui|dwi|owi|ovi|drunk driving|driving (?:under the influence|while intoxicated|drunk|high)|under the influence|felony|felonies|misdemeanor|warrant (?:for|out)|bench warrant|arraign\w*|indict\w*|probation violation|parole violation|violated (?:my |his |her )?(?:probation|parole)|in jail|in custody|locked up|public defender|prosecutor|district attorney|plea deal|plea bargain|expunge\w*|seal my record|criminal defense",
            ),
            (
                1.0,
                r"shoplift\w*|theft|stole|stealing|burglary|robbery|assault charge|charged with assault|possession (?:of|charge)|drug (?:charge|charges|possession|trafficking)|trafficking charge|domestic violence charge|reckless driving|hit and run charge|fraud charge|embezzl\w*|vandalism|trespass\w*|resisting arrest|disorderly conduct|sex offense|solicitation|manslaughter|homicide|murder|failure to appear",
            ),
            (
                0.6,
                r"police|cops|officer|sheriff|detective|jail|prison|bail|bond hearing|probation|parole|citation|speeding ticket|traffic ticket|license suspended|suspended license|breathalyzer|field sobriety|blood test|pulled (?:me )?over|search(?:ed)? my (?:car|house|home|phone)|court date|criminal|crime",
            ),
            (0.3, r"court|judge|ticket|charges|charged|booked"),
        ],
    },
    Area {
        key: "estate_planning",
        mask: Some(
            r"real estate|against (?:my|his|her|their) will|free will|good will|at will|will power",
        ),
        cues: &[
            (
                1.0,
                r"(?:a|my|his|her|their|the|our|mom s|dad s|mother s|father s|grandma s|grandpa s|grandmother s|grandfather s|husband s|wife s|living|last) wills?\b(?: and testament)?|last will|will and testament|wills|living trust|revocable trust|irrevocable trust|(?:a|my|the|family|special needs) trust|probate|estate plan\w*|power of attorney|poa|executor|executrix|personal representative|trustee|inherit\w*|beneficiar\w*|advance directive|health care directive|healthcare proxy|health care proxy|living will|estate (?:tax|administration|attorney|lawyer)|(?:his|her|their|my (?:mom|dad|mother|father|grandmother|grandfather|husband|wife|aunt|uncle) s|the) estate|contest (?:the|a) (?:will|trust)|conservatorship|guardianship (?:for|of) (?:my )?(?:mom|dad|mother|father|parent|grandmother|grandfather|adult)",
            ),
            (
                0.6,
                r"passed away|died|death certificate|deceased|heirs?|assets|life insurance|retirement accounts?|deed|title to (?:the|my|her|his) house|funeral|elderly|dementia|alzheimer\w*",
            ),
            (
                0.3,
                r"estate|family home|house|property|my kids|grandchildren",
            ),
        ],
    },
    Area {
        key: "immigration",
        mask: Some(r"slipped on (?:the )?ice|black ice|icy|ice (?:on|cream)"),
        cues: &[
            (
                1.0,
                r"green card|visa|visas|deport\w*|ice (?:detained|arrested|took|picked|has|agents?|came|raided)|immigration|immigrant|asylum|refugee|citizenship|naturaliz\w*|work permit|work authorization|ead|daca|dreamer|tps|temporary protected status|h ?1 ?b|h1b|l ?1|f ?1|k ?1|fiance visa|u visa|t visa|vawa|uscis|removal proceedings|notice to appear|undocumented|overstay\w*|no papers|without papers|permanent resident|lawful status|border patrol|cbp|consulate|embassy|petition for (?:my|a) (?:wife|husband|spouse|fiance|parents?|mother|father|brother|sister|son|daughter)|i ?130|i ?485|i ?751|n ?400|a number|alien number",
            ),
            (
                0.6,
                r"(?:my|his|her|their) (?:status|papers)|sponsor\w*|came (?:here|to the (?:us|united states|country))|(?:other|home|my) country|entered (?:the (?:us|united states|country))|border|detention center|detained|citizen",
            ),
            (0.3, r"country|passport|travel|ice"),
        ],
    },
    Area {
        key: "employment",
        mask: Some(
            r"fired (?:a|the) (?:gun|shot|weapon)|fired at|(?:fired|let go) (?:my|our|the) (?:lawyer|attorney)|work(?:ing)? on (?:my|the|our) (?:house|car)|at will (?:tenant|tenancy)",
        ),
        cues: &[
            (
                1.0,
                r"fired|wrongful(?:ly)? terminat\w*|terminated|laid off|laid (?:me|us|him|her|them) off|let (?:me|us) go|layoff|let go|lost my job|got let go|fired me|wrongful termination|(?:sexual )?harass\w* (?:at|from) (?:work|my job|my boss|my supervisor|my manager|a coworker)|hostile work environment|workplace (?:harassment|discrimination|retaliation)|discriminat\w*|retaliat\w*|whistle ?blow\w*|unpaid (?:wages|overtime)|overtime|minimum wage|wage theft|(?:did not|never|have not|has not|were not|was not) (?:get )?pa(?:y|id) (?:me|us|my wages|for (?:my|the|all) (?:hours|overtime|work))|not (?:being |getting )?paid (?:for (?:my|the|all) (?:hours|overtime|work)|my wages|overtime)|withheld my (?:pay|paycheck|wages)|final paycheck|back pay|fmla|medical leave|maternity leave|pregnancy discrimination|ada accommodation|reasonable accommodation|severance|non ?compete|noncompete|employment (?:contract|agreement|law|lawyer)|demot\w*|eeoc|labor board|unemployment benefits|denied unemployment",
            ),
            (
                0.6,
                r"(?:my|the|our) (?:boss|supervisor|manager|employer|coworkers?|co workers?|hr|human resources|company|job|workplace|union)|at work|my job|paycheck|paystubs?|pay stubs?|wages|w ?2|salary|hours|shift|hired|promotion|write up|written up|performance review|pregnan\w*|harass\w*|worker s comp|workers comp|workers compensation",
            ),
            (0.3, r"work|working|employee|employees|company|job"),
        ],
    },
    Area {
        key: "bankruptcy",
        mask: None,
        cues: &[
            (
                1.0,
                r"bankrupt\w*|chapter (?:7|13|11|seven|thirteen|eleven)|debt collectors?|collection agenc\w*|creditors?|garnish\w*|foreclos\w*|repossess\w*|(?:can not|can t|cant|unable to) (?:pay|afford) (?:my|the|our) (?:bills|debts|debt|credit cards|mortgage|loans|car payment|medical bills)|drowning in debt|debt relief|debt consolidation|wage levy|bank levy|discharge (?:my|of) debts?|means test|credit counseling",
            ),
            (
                0.6,
                r"debts?|owe|owing|credit cards?|medical bills|behind on (?:my |the |our )?(?:mortgage|payments|car payment|bills|loans)|past due|collections|judgment against me|sued (?:me )?for (?:a |the )?debt|payday loans?|student loans?|lender|loan|mortgage|levied|frozen account|froze my (?:bank )?account",
            ),
            (0.3, r"bills|money|broke|payments|bank|credit"),
        ],
    },
    // ---- areas firms rarely take: candidates for a polite decline ----
    Area {
        key: "landlord_tenant",
        mask: None,
        cues: &[
            (
                1.0,
                r"landlord|tenant|evict\w*|security deposit|lease|notice to vacate|notice to quit|unlawful detainer|rent (?:increase|control|stabiliz\w*)|habitability|(?:apartment|unit|rental) (?:manager|complex|owner)|property manager|section 8",
            ),
            (
                0.6,
                r"\brent\b|rental|apartment|renting|my unit|mold|repairs|move out|moved out|deposit|lockout|changed the locks|roommate",
            ),
        ],
    },
    Area {
        key: "real_estate",
        mask: None,
        cues: &[
            (
                1.0,
                r"real estate|closing (?:on|date)|buying (?:a|my|our|the) (?:house|home|property|condo|land)|selling (?:a|my|our|the) (?:house|home|property|condo|land)|purchase (?:agreement|contract)|escrow|title (?:insurance|company|issue|search)|deed|quiet title|property line|boundary (?:line|dispute)|easement|hoa|homeowners association|zoning|land use|quitclaim|earnest money|realtor|contractor (?:dispute|did|never|took)",
            ),
            (
                0.6,
                r"property|neighbor|fence|(?:my|the|our) (?:house|home|land|lot|condo)|survey|seller|buyer|inspection|construction",
            ),
        ],
    },
    Area {
        key: "tax",
        mask: None,
        cues: &[
            (
                1.0,
                r"\birs\b|i r s|back taxes|tax (?:return|returns|debt|lien|levy|audit|problem|problems|evasion|fraud|court|attorney|lawyer|bill)|audit(?:ed)?|owe taxes|state taxes|payroll taxes|offer in compromise|innocent spouse|franchise tax board|department of revenue",
            ),
            (0.6, r"taxes|tax|1099|accountant|cpa"),
        ],
    },
    Area {
        key: "intellectual_property",
        mask: None,
        cues: &[
            (
                1.0,
                r"patent\w*|trademark\w*|copyright\w*|intellectual property|infring\w*|trade secret\w*|licensing (?:agreement|deal)|cease and desist|my invention|invent(?:ed|ion)|dmca",
            ),
            (
                0.6,
                r"logo|brand name|my (?:song|music|book|photos?|design|app|software)|stole my (?:idea|design|logo|work)",
            ),
        ],
    },
    Area {
        key: "business",
        mask: Some(r"family business owner"),
        cues: &[
            (
                1.0,
                r"(?:my|our|a|the) (?:business|company|llc|corporation|startup|partnership)|(?:my|our) (?:restaurant|store|shop)\b|\bllc\b|incorporat\w*|business (?:partner|dispute|contract|formation|lawyer|attorney|deal)|breach of contract|contract dispute|shareholder\w*|operating agreement|partnership agreement|vendor|supplier|(?:client|customer) (?:will not|won t|did not|never) pa(?:y|id)|invoice|franchise",
            ),
            (
                0.6,
                r"contract|partner|investors?|clients?|customers?|commercial|lease for (?:my|our) (?:business|store|restaurant)",
            ),
        ],
    },
    Area {
        key: "workers_compensation",
        mask: None,
        cues: &[(
            1.0,
            r"worker s comp\w*|workers comp\w*|workman s comp\w*|workmans comp|injured (?:at|on the) (?:work|job)|hurt (?:at|on the) (?:work|job)|on the job injury|work injury|workplace injury|injur\w* at work",
        )],
    },
    Area {
        key: "social_security_disability",
        mask: None,
        cues: &[
            (
                1.0,
                r"social security disability|ssdi|\bssi\b|disability (?:benefits|claim|application|hearing)|denied (?:for )?disability|social security (?:denied|benefits|claim)",
            ),
            (
                0.6,
                r"social security|disability|can not work|unable to work",
            ),
        ],
    },
    Area {
        key: "consumer",
        mask: None,
        cues: &[
            (
                1.0,
                r"lemon law|lemon|scam\w*|scammed|consumer (?:fraud|protection|complaint)|identity theft|credit report|credit reporting|robocalls?|car dealer\w*|dealership|warranty|refund",
            ),
            (
                0.6,
                r"bought a (?:car|truck|used car)|defective|ripped off|charged me twice",
            ),
        ],
    },
];
