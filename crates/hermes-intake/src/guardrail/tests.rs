use super::*;

const BLOCKED: &[(&str, BlockReason)] = &[
    // Legal advice: directives.
    ("You should sue them.", BlockReason::LegalAdvice),
    (
        "Honestly, you should sue the driver.",
        BlockReason::LegalAdvice,
    ),
    (
        "I think you should file a lawsuit against them.",
        BlockReason::LegalAdvice,
    ),
    (
        "You need to file a lawsuit right away.",
        BlockReason::DeadlineAdvice,
    ),
    (
        "You need to file a motion to dismiss.",
        BlockReason::LegalAdvice,
    ),
    ("File a motion to dismiss.", BlockReason::LegalAdvice),
    (
        "Don't sign anything until you talk to us.",
        BlockReason::LegalAdvice,
    ),
    ("Do not sign the release.", BlockReason::LegalAdvice),
    (
        "You shouldn't sign that settlement.",
        BlockReason::LegalAdvice,
    ),
    ("Don't talk to the police.", BlockReason::LegalAdvice),
    (
        "You should not give a recorded statement to the insurance company.",
        BlockReason::LegalAdvice,
    ),
    ("You should plead not guilty.", BlockReason::LegalAdvice),
    ("Plead guilty and take the deal.", BlockReason::LegalAdvice),
    ("I would take the plea deal.", BlockReason::LegalAdvice),
    (
        "If I were you, I'd get a divorce.",
        BlockReason::LegalAdvice,
    ),
    (
        "You don't need a lawyer for this.",
        BlockReason::LegalAdvice,
    ),
    (
        "You can handle this yourself in small claims.",
        BlockReason::LegalAdvice,
    ),
    (
        "You can sue your landlord for that.",
        BlockReason::LegalAdvice,
    ),
    (
        "Stop paying the credit cards and file for bankruptcy.",
        BlockReason::LegalAdvice,
    ),
    ("You could file for Chapter 7.", BlockReason::LegalAdvice),
    (
        "You should withhold the rent until they fix it.",
        BlockReason::LegalAdvice,
    ),
    (
        "My advice is to accept the offer.",
        BlockReason::LegalAdvice,
    ),
    (
        "That sounds like wrongful termination.",
        BlockReason::LegalAdvice,
    ),
    (
        "What your landlord did is illegal.",
        BlockReason::LegalAdvice,
    ),
    (
        "It's illegal for them to fire you for that.",
        BlockReason::LegalAdvice,
    ),
    ("They can't fire you for that.", BlockReason::LegalAdvice),
    (
        "Your landlord can't keep your deposit.",
        BlockReason::LegalAdvice,
    ),
    (
        "You have the right to remain silent.",
        BlockReason::LegalAdvice,
    ),
    ("You're entitled to compensation.", BlockReason::LegalAdvice),
    ("You're not at fault here.", BlockReason::LegalAdvice),
    (
        "You might want to move out before the hearing.",
        BlockReason::LegalAdvice,
    ),
    (
        "I can't give legal advice, but you should sue.",
        BlockReason::LegalAdvice,
    ),
    (
        "I can't give legal advice but you should really sue them",
        BlockReason::LegalAdvice,
    ),
    (
        "Make sure you don't talk to the adjuster.",
        BlockReason::LegalAdvice,
    ),
    ("You should apply for asylum.", BlockReason::LegalAdvice),
    ("You'd be better off settling.", BlockReason::LegalAdvice),
    (
        "Settling is probably your best option.",
        BlockReason::LegalAdvice,
    ),
    (
        "Honestly you should just let them evict you.",
        BlockReason::LegalAdvice,
    ),
    (
        "The law says your landlord must return your deposit within 21 days.",
        BlockReason::LegalAdvice,
    ),
    ("Legally, they have to pay you.", BlockReason::LegalAdvice),
    ("Go ahead and file for divorce.", BlockReason::LegalAdvice),
    (
        "It's a good idea to get a restraining order.",
        BlockReason::LegalAdvice,
    ),
    // Outcomes.
    (
        "You could get around fifty thousand dollars.",
        BlockReason::OutcomePrediction,
    ),
    (
        "You're likely to get deported.",
        BlockReason::OutcomePrediction,
    ),
    ("You will win.", BlockReason::OutcomePrediction),
    (
        "You'll get custody of the kids.",
        BlockReason::OutcomePrediction,
    ),
    (
        "You're going to get full custody.",
        BlockReason::OutcomePrediction,
    ),
    ("You have a strong case.", BlockReason::OutcomePrediction),
    (
        "It sounds like you have a really good case.",
        BlockReason::OutcomePrediction,
    ),
    (
        "You definitely have a case against the driver.",
        BlockReason::OutcomePrediction,
    ),
    (
        "Your case is worth at least $50,000.",
        BlockReason::OutcomePrediction,
    ),
    (
        "You won't go to jail for a first offense.",
        BlockReason::OutcomePrediction,
    ),
    ("You won't be deported.", BlockReason::OutcomePrediction),
    (
        "The judge will probably dismiss the case.",
        BlockReason::OutcomePrediction,
    ),
    (
        "The charges will be dropped.",
        BlockReason::OutcomePrediction,
    ),
    (
        "Most people in your situation win.",
        BlockReason::OutcomePrediction,
    ),
    ("Your chances are good.", BlockReason::OutcomePrediction),
    ("You don't have a case.", BlockReason::OutcomePrediction),
    (
        "You will qualify for chapter 7.",
        BlockReason::OutcomePrediction,
    ),
    // Fees and guarantees.
    ("We guarantee a result.", BlockReason::FeeOrGuarantee),
    ("I promise you will win.", BlockReason::FeeOrGuarantee),
    (
        "Our attorneys can guarantee a settlement.",
        BlockReason::FeeOrGuarantee,
    ),
    (
        "Our contingency fee is 33 percent.",
        BlockReason::FeeOrGuarantee,
    ),
    (
        "You won't pay anything unless we win.",
        BlockReason::FeeOrGuarantee,
    ),
    ("We only get paid if you win.", BlockReason::FeeOrGuarantee),
    ("The retainer is $5,000.", BlockReason::FeeOrGuarantee),
    // Attorney-client claims.
    ("I am your lawyer.", BlockReason::AttorneyClientClaim),
    ("I'm an attorney.", BlockReason::AttorneyClientClaim),
    ("We represent you now.", BlockReason::AttorneyClientClaim),
    ("We'll take your case.", BlockReason::AttorneyClientClaim),
    ("You are now our client.", BlockReason::AttorneyClientClaim),
    ("This call is privileged.", BlockReason::AttorneyClientClaim),
    (
        "An attorney-client relationship now exists.",
        BlockReason::AttorneyClientClaim,
    ),
    // Deadlines.
    (
        "The statute of limitations is two years, so you have until March.",
        BlockReason::DeadlineAdvice,
    ),
    (
        "The statute of limitations for personal injury in Oregon is 2 years.",
        BlockReason::DeadlineAdvice,
    ),
    ("You have 30 days to respond.", BlockReason::DeadlineAdvice),
    (
        "You have until Friday to answer the complaint.",
        BlockReason::DeadlineAdvice,
    ),
    (
        "You need to file your answer within 20 days.",
        BlockReason::DeadlineAdvice,
    ),
    ("It's not too late to file.", BlockReason::DeadlineAdvice),
    (
        "You still have plenty of time.",
        BlockReason::DeadlineAdvice,
    ),
    (
        "The statute of limitations has already passed.",
        BlockReason::DeadlineAdvice,
    ),
];

const ALLOWED: &[&str] = &[
    REFUSAL,
    BOOKING_OFFER,
    NOT_A_LAWYER,
    "I can't give legal advice, but an attorney can discuss that at the consultation.",
    "I'm not able to give legal advice.",
    "I'm an automated assistant, not a lawyer.",
    "This call does not create an attorney-client relationship.",
    "No attorney-client relationship exists unless the firm agrees in writing.",
    "An attorney-client relationship is formed only if the firm agrees in writing.",
    "Can you spell your last name for me?",
    "Could you spell that, please?",
    "What is the best number to reach you?",
    "Let me read that back: five oh three, five five five, one two one two.",
    "An attorney will review your information.",
    "An attorney will review your information and call you back.",
    "If you are in immediate danger, please hang up and call 911.",
    "You can also reach the National Domestic Violence Hotline at 1-800-799-7233.",
    "An attorney can discuss whether you should sue at your consultation.",
    "An attorney can tell you whether you have a case.",
    "I can't tell you if you have a case, but an attorney can.",
    "I can't predict whether you will win.",
    "I'm not able to say whether you should sign it.",
    "That's a legal question, and an attorney can discuss it with you.",
    "An attorney can explain what your rights are.",
    "Questions like whether to plead guilty are for the attorney.",
    "An attorney can discuss whether to file a motion.",
    "We can't guarantee any outcome.",
    "Nobody can guarantee a result.",
    "Did you file a police report?",
    "Have you filed a lawsuit yet?",
    "Did you file a claim with your insurance company?",
    "Do you have a case number?",
    "Has anyone else been charged?",
    "When is your next court date?",
    "Is there a deadline on any notice you received?",
    "What is the other driver's full name?",
    "Were you injured?",
    "I have you down for Tuesday, May 6 at 3:00 PM Pacific Time with Ms. Lopez.",
    "Your consultation is booked for Monday, June 2 at 10 AM Eastern. You'll get a text confirmation.",
    "You will receive a confirmation text shortly.",
    "You can sign up for text reminders if you like.",
    "You don't have to answer that if you'd rather not.",
    "I'm sorry to hear about the accident.",
    "Thank you, I have noted that.",
    "I'm sorry, our firm doesn't handle that type of matter.",
    "The attorney will discuss fees at the consultation.",
    "Please don't hang up.",
    "Do you want to talk to a person? I can transfer you.",
    "Is it safe to leave you a voicemail?",
    "Are you the person who was hurt, or are you calling for someone else?",
    "The consultation is 45 minutes.",
    "Okay, and did you sign anything with the insurance company?",
    "Do you have any paperwork, such as a summons or a notice?",
    "The attorney will want to know the statute of limitations question too, so please mention it.",
    "I understand this is stressful. Let's get your information to an attorney.",
    "You should bring any documents you have to the consultation.",
    "You'll need to bring your ID.",
    "You can call us back anytime.",
    "If you're in danger, please call 911 right away.",
    "I understand you were served with papers. When were you served?",
    "The attorney can tell you what the deadline is.",
    "I'm not a lawyer, so I can't say whether you should plead guilty.",
    "We can't promise any particular outcome.",
    "The firm hasn't agreed to represent you yet.",
    "We do not represent you unless you sign an engagement agreement.",
    "I'll make a note that you have a hearing on Friday.",
    "Our law firm handles family law matters.",
    "You will get a text with the details.",
];

#[test]
fn blocks_advice() {
    let mut wrong = Vec::new();
    for (text, reason) in BLOCKED {
        match check_utterance(text) {
            Verdict::Block {
                reason: got,
                safe_reply,
            } => {
                if got != *reason {
                    wrong.push(format!("{text}: {got:?}, expected {reason:?}"));
                }
                assert!(safe_reply.contains(REFUSAL), "{text}");
            }
            Verdict::Allow => wrong.push(format!("allowed: {text}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(BLOCKED.len() >= 40);
}

#[test]
fn allows_intake_talk() {
    let blocked: Vec<_> = ALLOWED
        .iter()
        .filter(|t| check_utterance(t) != Verdict::Allow)
        .collect();
    assert!(blocked.is_empty(), "{blocked:#?}");
    assert!(ALLOWED.len() >= 40);
}

#[test]
fn safe_replies_pass_the_guardrail_and_offer_to_book() {
    for reason in [
        BlockReason::LegalAdvice,
        BlockReason::OutcomePrediction,
        BlockReason::FeeOrGuarantee,
        BlockReason::AttorneyClientClaim,
        BlockReason::DeadlineAdvice,
    ] {
        let reply = reason.safe_reply();
        assert_eq!(check_utterance(&reply), Verdict::Allow, "{reply}");
        assert!(reply.contains(BOOKING_OFFER));
    }
}

#[test]
fn every_default_question_and_referral_passes() {
    for set in crate::questions::default_sets() {
        for q in set.conflict_questions.iter().chain(&set.fact_questions) {
            assert_eq!(check_utterance(&q.prompt), Verdict::Allow, "{}", q.prompt);
        }
    }
    for state in [None, Some("OR"), Some("CA"), Some("ny")] {
        let line = crate::practice::referral_suggestion(state);
        assert_eq!(check_utterance(&line), Verdict::Allow, "{line}");
    }
}

#[test]
fn verdict_serialises_snake_case() {
    let v = check_utterance("You will win.");
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["block"]["reason"], "outcome_prediction");
    assert_eq!(serde_json::from_value::<Verdict>(json).unwrap(), v);
    assert_eq!(serde_json::to_value(Verdict::Allow).unwrap(), "allow");
}

const ADVICE_REQUESTS: &[&str] = &[
    "Do I have a case?",
    "do i even have a case against them",
    "Is this a good case?",
    "Is it worth suing?",
    "Can I sue my landlord?",
    "could i sue the hospital",
    "Should I sign the settlement?",
    "should i sign it",
    "Should I accept their offer?",
    "Should I take the plea deal?",
    "Should I plead guilty?",
    "Should I plead guilty or not guilty?",
    "What are my rights?",
    "I want to know my rights",
    "What should I do?",
    "I don't know what I should do",
    "what can I do about this",
    "Can they do that?",
    "can my landlord do that",
    "Can my employer fire me for that?",
    "Is it legal for my landlord to keep my deposit?",
    "is that even legal",
    "Is that allowed?",
    "Are they allowed to garnish my wages?",
    "How much is my case worth?",
    "how much can I get for my injuries",
    "What is my case worth?",
    "Will I go to jail?",
    "am I going to jail",
    "Am I going to be deported?",
    "Will I get custody?",
    "will i lose my house",
    "What are my chances?",
    "What's the statute of limitations?",
    "How long do I have to file?",
    "Is it too late to sue?",
    "Do I have to pay this debt?",
    "Do I have to go to court?",
    "Should I talk to the insurance company?",
    "Should I give them a recorded statement?",
    "Whose fault is it?",
    "Am I liable for the accident?",
    "What would you do?",
    "I need some legal advice",
    "What happens if I don't show up?",
    "What's the penalty for a DUI?",
    "how do I get custody of my kids",
    "Do I need a lawyer, and should I sign?",
];

const NOT_ADVICE_REQUESTS: &[&str] = &[
    "I signed a lease in March.",
    "My case number is 24-CV-1234.",
    "I have a case in family court.",
    "I was in a car accident last week.",
    "My name is Maria Lopez, L-O-P-E-Z.",
    "My number is 503-555-1212.",
    "He was arrested on Friday.",
    "I want to make an appointment.",
    "Can I get a call back tomorrow?",
    "Can I leave a message for the attorney?",
    "Should I call back later?",
    "How do I get to your office?",
    "Will I get a text confirmation?",
    "How much does the consultation cost?",
    "Can the attorney see me on Monday?",
    "I didn't sign anything.",
    "My landlord kept my deposit.",
    "They fired me last month.",
    "Yes, that's right.",
    "Do I need a lawyer?",
    "Should I get a lawyer for this?",
    "Do you handle cases like this?",
    "My lawyer said I should sign.",
    "Can I move my appointment?",
    "I want to talk to a person.",
];

#[test]
fn detects_advice_requests() {
    let missed: Vec<_> = ADVICE_REQUESTS
        .iter()
        .filter(|t| !is_advice_request(t))
        .collect();
    let false_alarms: Vec<_> = NOT_ADVICE_REQUESTS
        .iter()
        .filter(|t| is_advice_request(t))
        .collect();
    assert!(
        missed.is_empty() && false_alarms.is_empty(),
        "missed {missed:#?}, false alarms {false_alarms:#?}"
    );
}

#[test]
fn lawyer_needed_is_answered_not_refused() {
    for text in [
        "Do I need a lawyer?",
        "do i even need an attorney for this",
        "Should I get a lawyer?",
        "Should I hire an attorney?",
        "Can a lawyer help me with this?",
    ] {
        assert!(asks_if_lawyer_needed(text), "{text}");
        assert!(!is_advice_request(text), "{text}");
    }
    assert!(!asks_if_lawyer_needed("I was in a car accident."));
}
