//! The default question sets for the seven standard areas: what a careful
//! paralegal would ask on a first call, and no more.

use super::{AnswerKind, Question, QuestionSet};
use AnswerKind::*;

/// Who a conflict question asks about.
const PARTY: bool = true;
const NOT_PARTY: bool = false;
const REQUIRED: bool = true;
const OPTIONAL: bool = false;

fn q(id: &str, prompt: &str, kind: AnswerKind, required: bool, party: bool) -> Question {
    Question {
        id: id.to_string(),
        prompt: prompt.to_string(),
        kind,
        required,
        conflict_party: party,
    }
}

fn choice(options: &[&str]) -> AnswerKind {
    Choice(options.iter().map(|o| (*o).to_string()).collect())
}

fn set(area: &str, conflict: Vec<Question>, facts: Vec<Question>) -> QuestionSet {
    QuestionSet {
        practice_area: area.to_string(),
        conflict_questions: conflict,
        fact_questions: facts,
    }
}

/// The seven standard sets, in `STANDARD_AREAS` order.
pub fn default_sets() -> Vec<QuestionSet> {
    vec![
        personal_injury(),
        family(),
        criminal_defense(),
        estate_planning(),
        immigration(),
        employment(),
        bankruptcy(),
    ]
}

fn other_attorney() -> Question {
    q(
        "other_attorney",
        "Have you already spoken with or hired another attorney about this?",
        YesNo,
        OPTIONAL,
        NOT_PARTY,
    )
}

fn personal_injury() -> QuestionSet {
    set(
        "personal_injury",
        vec![
            q(
                "other_party_name",
                "What is the full name of the other driver, or of the person or business involved in the incident?",
                PersonName,
                REQUIRED,
                PARTY,
            ),
            q(
                "vehicle_owner_name",
                "If someone else owns the other vehicle or the property where it happened, do you know their name?",
                PersonName,
                OPTIONAL,
                PARTY,
            ),
            q(
                "other_insurer",
                "Do you know the name of the other side's insurance company?",
                OrganizationName,
                OPTIONAL,
                PARTY,
            ),
            q(
                "business_involved",
                "Was a business involved, such as a store, an employer, a trucking company, or a landlord? If so, what is its name?",
                OrganizationName,
                OPTIONAL,
                PARTY,
            ),
        ],
        vec![
            q(
                "incident_date",
                "On what date did the incident happen?",
                Date,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "incident_type",
                "What kind of incident was it?",
                choice(&[
                    "car accident",
                    "truck accident",
                    "motorcycle accident",
                    "pedestrian or bicycle",
                    "slip and fall",
                    "dog bite",
                    "medical care",
                    "something else",
                ]),
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "incident_location",
                "Where did it happen? The city and state are enough for now.",
                Text,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "incident_description",
                "In a few sentences, what happened?",
                Text,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "injuries",
                "What injuries did you have?",
                Text,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "medical_treatment",
                "Have you seen a doctor or gone to the hospital for your injuries?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "treatment_providers",
                "Where have you been treated, and are you still being treated?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "police_report",
                "Was a police report made?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "police_report_number",
                "If you have it, what is the police report number?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "own_insurer",
                "What is the name of your own insurance company, if you have one?",
                OrganizationName,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "spoken_to_insurer",
                "Have you talked with any insurance company about the incident?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "missed_work",
                "Have you missed work because of your injuries?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "documents",
                "Do you have photos, medical bills, or other documents about the incident?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            other_attorney(),
        ],
    )
}

fn family() -> QuestionSet {
    set(
        "family",
        vec![
            q(
                "other_party_name",
                "What is the full name of your spouse, partner, or the other parent?",
                PersonName,
                REQUIRED,
                PARTY,
            ),
            q(
                "other_party_other_names",
                "Has that person used any other names, such as a maiden name?",
                PersonName,
                OPTIONAL,
                PARTY,
            ),
            q(
                "other_party_attorney",
                "Does that person have an attorney? If so, do you know the attorney's name or law firm?",
                PersonName,
                OPTIONAL,
                PARTY,
            ),
            q(
                "other_related_parties",
                "Is anyone else involved, such as a new partner, a grandparent, or a guardian? If so, what are their names?",
                Text,
                OPTIONAL,
                PARTY,
            ),
        ],
        vec![
            q(
                "matter_type",
                "What is this mainly about?",
                choice(&[
                    "divorce",
                    "legal separation",
                    "child custody or parenting time",
                    "child support",
                    "spousal support",
                    "adoption",
                    "paternity",
                    "protective order",
                    "changing an existing order",
                    "something else",
                ]),
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "marriage_date",
                "If you are married, on what date were you married?",
                Date,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "separation_date",
                "If you have separated, on what date did you separate?",
                Date,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "children",
                "Do you have children with this person?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "children_ages",
                "How many children are there, and how old are they?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "children_live_with",
                "Who do the children live with right now?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "existing_orders",
                "Are there any existing court orders, such as custody, support, or protective orders?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "case_filed",
                "Has either of you already filed anything in court?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "case_number",
                "If there is a case, what is the case number?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "next_court_date",
                "Is there an upcoming court date? If so, when is it?",
                Date,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "county",
                "Which county and state do you live in, and where does the other person live?",
                Text,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "safety_concern",
                "Do you have any concerns about your safety or your children's safety?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "shared_property",
                "Do the two of you own a home or other significant property together?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            other_attorney(),
        ],
    )
}

fn criminal_defense() -> QuestionSet {
    set(
        "criminal_defense",
        vec![
            q(
                "defendant_name",
                "What is the full name of the person who was arrested or charged?",
                PersonName,
                REQUIRED,
                PARTY,
            ),
            q(
                "co_defendants",
                "Was anyone else arrested or charged in the same incident? If so, what are their names?",
                Text,
                OPTIONAL,
                PARTY,
            ),
            q(
                "complaining_witness",
                "Is another person named in the charges, such as a complaining witness? If you know it, what is that person's name?",
                PersonName,
                OPTIONAL,
                PARTY,
            ),
            q(
                "current_counsel",
                "Does the person already have an attorney, including a public defender?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "current_counsel_name",
                "If so, what is that attorney's name?",
                PersonName,
                OPTIONAL,
                NOT_PARTY,
            ),
        ],
        vec![
            q(
                "arrest_date",
                "On what date was the arrest, or when did this start?",
                Date,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "charges",
                "What are the charges, as written on any paperwork you received?",
                Text,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "in_custody",
                "Is the person in custody right now?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "custody_location",
                "If so, where are they being held?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "bail_amount",
                "Has bail been set? If so, how much is it?",
                Money,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "court",
                "Which court is the case in, or in which county did this happen?",
                Text,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "next_court_date",
                "When is the next court date?",
                Date,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "paperwork",
                "Do you have any paperwork, such as a citation, a bail receipt, or a charging document?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "probation_or_parole",
                "Is the person currently on probation or parole?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "prior_cases",
                "Has the person had any other criminal cases before?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "citizenship",
                "Is the person a United States citizen?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
        ],
    )
}

fn estate_planning() -> QuestionSet {
    set(
        "estate_planning",
        vec![
            q(
                "family_members",
                "What are the names of your spouse or partner and your children, if any?",
                Text,
                REQUIRED,
                PARTY,
            ),
            q(
                "possible_contestants",
                "Is there anyone who might disagree with or challenge the plan or the estate? If so, what are their names?",
                Text,
                OPTIONAL,
                PARTY,
            ),
            q(
                "deceased_name",
                "If this is about someone who has passed away, what was their full name?",
                PersonName,
                OPTIONAL,
                PARTY,
            ),
            q(
                "fiduciary_name",
                "Has anyone been named or asked to serve as executor, trustee, or agent? If so, who?",
                PersonName,
                OPTIONAL,
                PARTY,
            ),
        ],
        vec![
            q(
                "matter_type",
                "What would you like help with?",
                choice(&[
                    "a new will or trust",
                    "updating an existing plan",
                    "probate of an estate",
                    "administering a trust",
                    "power of attorney or health care directive",
                    "guardianship or conservatorship",
                    "a disagreement over a will or trust",
                    "something else",
                ]),
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "existing_will",
                "Is there an existing will or trust?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "existing_will_date",
                "About when was it signed?",
                Date,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "marital_status",
                "What is your marital status?",
                choice(&[
                    "single",
                    "married",
                    "domestic partnership",
                    "divorced",
                    "widowed",
                ]),
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "children_count",
                "How many children do you have, if any?",
                Number,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "minor_children",
                "Are any of the children under 18?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "assets",
                "What kinds of assets are involved, for example a home, retirement accounts, a business, or life insurance?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "estimated_value",
                "Roughly what is the total value of the assets? An estimate is fine.",
                Money,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "real_estate_states",
                "Is there real estate, and in which states?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "date_of_death",
                "If someone has passed away, on what date?",
                Date,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "probate_opened",
                "Has a probate case already been opened in court?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "court_notices",
                "Have you received any court notices or letters with dates on them?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "time_sensitive",
                "Is there a health concern or other reason this is time-sensitive?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
        ],
    )
}

fn immigration() -> QuestionSet {
    set(
        "immigration",
        vec![
            q(
                "person_name",
                "What is the full name of the person this is about, if it is not you?",
                PersonName,
                OPTIONAL,
                PARTY,
            ),
            q(
                "employer_sponsor",
                "If an employer is sponsoring or petitioning, what is the employer's name?",
                OrganizationName,
                OPTIONAL,
                PARTY,
            ),
            q(
                "family_sponsor",
                "If a family member is sponsoring or petitioning, what is their full name?",
                PersonName,
                OPTIONAL,
                PARTY,
            ),
            q(
                "prior_representative",
                "Have you worked with another attorney or an immigration consultant on this? If so, what is their name?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
        ],
        vec![
            q(
                "matter_type",
                "What is this mainly about?",
                choice(&[
                    "a family-based green card",
                    "an employment visa or green card",
                    "citizenship",
                    "asylum",
                    "removal or deportation",
                    "detention or bond",
                    "DACA or TPS",
                    "renewing or extending a visa",
                    "something else",
                ]),
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "country_of_citizenship",
                "What is your country of citizenship?",
                Text,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "current_status",
                "What is your current immigration status?",
                choice(&[
                    "US citizen",
                    "green card holder",
                    "visa holder",
                    "asylum applicant",
                    "DACA",
                    "TPS",
                    "no current status",
                    "not sure",
                    "something else",
                ]),
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "visa_type",
                "If you have a visa, what type is it?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "entry_date",
                "When did you most recently enter the United States?",
                Date,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "detained",
                "Is anyone detained by immigration right now?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "detention_location",
                "If so, where are they being held?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "notices",
                "Have you received any notices, such as a Notice to Appear or a letter from USCIS?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "notice_date",
                "Is there a hearing date or a date to respond on any notice? If so, what date?",
                Date,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "a_number",
                "Do you have an A-number? If so, what is it?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "prior_applications",
                "Have you filed any immigration applications before?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "arrests",
                "Have you ever been arrested or charged with a crime, in any country?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
        ],
    )
}

fn employment() -> QuestionSet {
    set(
        "employment",
        vec![
            q(
                "employer_legal_name",
                "What is the employer's full legal name? If you are not sure, the name on your paycheck or W-2 works.",
                OrganizationName,
                REQUIRED,
                PARTY,
            ),
            q(
                "supervisor_name",
                "What is the name of the supervisor or manager involved?",
                PersonName,
                OPTIONAL,
                PARTY,
            ),
            q(
                "other_individuals",
                "Was anyone else involved, such as a coworker or someone in HR? If so, what are their names?",
                Text,
                OPTIONAL,
                PARTY,
            ),
            q(
                "staffing_agency",
                "Were you placed there by a staffing agency? If so, which one?",
                OrganizationName,
                OPTIONAL,
                PARTY,
            ),
        ],
        vec![
            q(
                "issue_type",
                "What is this mainly about?",
                choice(&[
                    "being fired or laid off",
                    "discrimination",
                    "harassment",
                    "retaliation",
                    "unpaid wages or overtime",
                    "leave or accommodation",
                    "a severance or employment agreement",
                    "something else",
                ]),
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "what_happened",
                "In a few sentences, what happened?",
                Text,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "still_employed",
                "Are you still working there?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "start_date",
                "When did you start working there?",
                Date,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "end_date",
                "If you no longer work there, what was your last day?",
                Date,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "job_title",
                "What is or was your job title?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "pay",
                "What is or was your pay, hourly or yearly?",
                Money,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "employer_size",
                "About how many people work for the employer?",
                Number,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "complained",
                "Did you report or complain about this to anyone at the company? If so, when?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "documents",
                "Do you have any documents, such as emails, texts, a termination letter, or pay stubs?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "agency_charge",
                "Have you filed anything with a government agency, such as the EEOC or a state labor department?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "agreement_offered",
                "Have you been given a severance or separation agreement? If so, is there a date on it?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            other_attorney(),
        ],
    )
}

fn bankruptcy() -> QuestionSet {
    set(
        "bankruptcy",
        vec![
            q(
                "main_creditors",
                "Who are your main creditors? For example, the banks, credit card companies, lenders, or collection agencies you owe.",
                Text,
                REQUIRED,
                PARTY,
            ),
            q(
                "secured_lenders",
                "If you have a mortgage or a car loan, who is the lender?",
                OrganizationName,
                OPTIONAL,
                PARTY,
            ),
            q(
                "co_debtors",
                "Does anyone share any of these debts with you, such as a spouse or a co-signer? If so, what are their names?",
                Text,
                OPTIONAL,
                PARTY,
            ),
            q(
                "suing_creditors",
                "Has any creditor sued you? If so, which one?",
                OrganizationName,
                OPTIONAL,
                PARTY,
            ),
        ],
        vec![
            q(
                "total_debt",
                "Roughly how much do you owe in total?",
                Money,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "debt_types",
                "What kinds of debt are they, for example credit cards, medical bills, a mortgage, car loans, taxes, or student loans?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "monthly_income",
                "Roughly what is your household's monthly income?",
                Money,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "household_size",
                "How many people live in your household?",
                Number,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "employed",
                "Are you working right now?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "owns_home",
                "Do you own your home?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "foreclosure",
                "Is your home in foreclosure, or is a sale date scheduled?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "foreclosure_sale_date",
                "If there is a sale date, what is it?",
                Date,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "garnishment",
                "Are your wages being garnished, or has a bank account been frozen or levied?",
                YesNo,
                REQUIRED,
                NOT_PARTY,
            ),
            q(
                "repossession",
                "Is a vehicle at risk of being repossessed?",
                YesNo,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "prior_bankruptcy",
                "Have you filed for bankruptcy before? If so, when?",
                Text,
                OPTIONAL,
                NOT_PARTY,
            ),
            q(
                "state",
                "Which state do you live in?",
                Text,
                REQUIRED,
                NOT_PARTY,
            ),
        ],
    )
}
