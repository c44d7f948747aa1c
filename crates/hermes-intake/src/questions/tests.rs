use super::*;
use crate::practice::STANDARD_AREAS;

#[test]
fn defaults_cover_the_standard_areas_and_validate() {
    let sets = default_sets();
    let areas: Vec<&str> = sets.iter().map(|s| s.practice_area.as_str()).collect();
    assert_eq!(areas, STANDARD_AREAS);
    for set in &sets {
        assert_eq!(validate(set), Ok(()), "{}", set.practice_area);
        assert!(
            set.conflict_questions
                .iter()
                .any(|q| q.conflict_party && q.required)
                || set.practice_area == "immigration"
        );
        // Facts never name parties for the conflict check: those come first.
        assert!(set.fact_questions.iter().all(|q| !q.conflict_party));
        assert!(set.fact_questions.iter().any(|q| q.required));
    }
    assert_eq!(default_set("family").unwrap().practice_area, "family");
    assert!(default_set("tax").is_none());
}

#[test]
fn area_specific_conflict_questions() {
    let ids = |area: &str| -> Vec<String> {
        default_set(area)
            .unwrap()
            .conflict_questions
            .iter()
            .map(|q| q.id.clone())
            .collect()
    };
    assert!(ids("personal_injury").contains(&"other_party_name".into()));
    assert!(ids("personal_injury").contains(&"other_insurer".into()));
    assert!(ids("family").contains(&"other_party_attorney".into()));
    assert!(ids("criminal_defense").contains(&"co_defendants".into()));
    assert!(ids("criminal_defense").contains(&"current_counsel".into()));
    assert!(ids("estate_planning").contains(&"possible_contestants".into()));
    assert!(ids("immigration").contains(&"employer_sponsor".into()));
    assert!(ids("employment").contains(&"employer_legal_name".into()));
    assert!(ids("employment").contains(&"supervisor_name".into()));
    assert!(ids("bankruptcy").contains(&"main_creditors".into()));
}

type Edit = Box<dyn Fn(&mut QuestionSet)>;

fn sample() -> QuestionSet {
    default_set("personal_injury").unwrap()
}

#[test]
fn validation_rejects_bad_sets() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "used twice",
            Box::new(|s| s.fact_questions[1].id = s.fact_questions[0].id.clone()),
        ),
        (
            "not a slug",
            Box::new(|s| s.fact_questions[0].id = "Incident Date".into()),
        ),
        (
            "not a slug",
            Box::new(|s| s.fact_questions[0].id = "9lives".into()),
        ),
        (
            "prompt is empty",
            Box::new(|s| s.fact_questions[0].prompt = "   ".into()),
        ),
        (
            "at most 300",
            Box::new(|s| s.fact_questions[0].prompt = "a".repeat(301)),
        ),
        (
            "at least one conflict question",
            Box::new(|s| s.conflict_questions.clear()),
        ),
        (
            "must ask for a party",
            Box::new(|s| {
                s.conflict_questions
                    .iter_mut()
                    .for_each(|q| q.conflict_party = false)
            }),
        ),
        (
            "at most 40",
            Box::new(|s| {
                for i in 0..30 {
                    s.fact_questions.push(Question {
                        id: format!("extra_{i}"),
                        prompt: "Anything else?".into(),
                        kind: AnswerKind::Text,
                        required: false,
                        conflict_party: false,
                    });
                }
            }),
        ),
        (
            "2 to 10 options",
            Box::new(|s| s.fact_questions[1].kind = AnswerKind::Choice(vec!["only".into()])),
        ),
        (
            "2 to 10 options",
            Box::new(|s| {
                s.fact_questions[1].kind =
                    AnswerKind::Choice((0..11).map(|i| i.to_string()).collect())
            }),
        ),
        (
            "option is empty",
            Box::new(|s| {
                s.fact_questions[1].kind = AnswerKind::Choice(vec!["a".into(), " ".into()])
            }),
        ),
        (
            "options repeat",
            Box::new(|s| {
                s.fact_questions[1].kind = AnswerKind::Choice(vec!["Yes".into(), "yes".into()])
            }),
        ),
        (
            "outcome prediction",
            Box::new(|s| {
                s.fact_questions[0].prompt = "You have a strong case, when did it happen?".into()
            }),
        ),
        (
            "legal advice",
            Box::new(|s| {
                s.fact_questions[0].prompt =
                    "You should not talk to the insurance company. Did you?".into()
            }),
        ),
        (
            "practice_area",
            Box::new(|s| s.practice_area = "Personal Injury".into()),
        ),
    ];
    for (needle, edit) in cases {
        let mut s = sample();
        edit(&mut s);
        let err = validate(&s).expect_err(needle);
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

#[test]
fn validation_accepts_boundaries() {
    let mut s = sample();
    s.fact_questions[0].prompt = "a".repeat(300);
    s.fact_questions[1].kind = AnswerKind::Choice(vec!["yes".into(), "no".into()]);
    assert_eq!(validate(&s), Ok(()));
    s.fact_questions[1].kind = AnswerKind::Choice((0..10).map(|i| format!("option {i}")).collect());
    assert_eq!(validate(&s), Ok(()));
}

#[test]
fn json_round_trip_for_tenant_edits() {
    let set = default_set("family").unwrap();
    let json = serde_json::to_value(&set).unwrap();
    assert_eq!(json["conflict_questions"][0]["kind"], "person_name");
    assert!(json["fact_questions"][0]["kind"]["choice"].is_array());
    assert_eq!(serde_json::from_value::<QuestionSet>(json).unwrap(), set);
    let edited: QuestionSet = serde_json::from_str(
        r#"{"practice_area":"animal_law","conflict_questions":[{"id":"other_owner","prompt":"What is the other animal owner's name?","kind":"person_name","required":true,"conflict_party":true}],"fact_questions":[{"id":"species","prompt":"What kind of animal?","kind":{"choice":["dog","cat","other"]},"required":false,"conflict_party":false}]}"#,
    )
    .unwrap();
    assert_eq!(validate(&edited), Ok(()));
}
