#![allow(clippy::unwrap_used)]

use super::*;
use provers::skeleton::Shape;
use provers::{Formula, Label, parse};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

fn lx() -> Lexicon {
    Lexicon::builtin()
}

fn item(seed: u64) -> ItemInfo {
    ItemInfo {
        id: format!("fol-test-{seed}"),
        index: seed,
        seed,
        z3_version: provers::z3_version(),
        model: None,
    }
}

fn spec(depth: u32, label: Label) -> SkeletonSpec {
    SkeletonSpec { depth, distractors: depth + 2, label }
}

#[test]
fn plain_sentences_read_naturally() {
    let lx = lx();
    let cases = [
        ("∀x (plays_violin(x) → is_doctor(x))", "Everyone who plays the violin is a doctor."),
        (
            "∀x (¬plays_chess(x) → owns_boat(x) ∧ is_nurse(x))",
            "Everyone who does not play chess owns a boat and is a nurse.",
        ),
        ("∀x (surfs(x) ∨ skis(x) → is_pilot(x))", "Everyone who surfs or skis is a pilot."),
        ("∀x (surfs(x) ⊕ skis(x))", "Everyone either surfs or skis, but not both."),
        ("∀x (surfs(x) ∨ ¬skis(x))", "Everyone surfs or does not ski, or both."),
        (
            "is_chef(Elyse) ∧ plays_golf(Elyse) → ¬is_famous(Elyse)",
            "If Elyse is a chef and plays golf, then she is not famous.",
        ),
        (
            "is_chef(Orion) → studies_law(Orion) ⊕ skis(Orion)",
            "If Orion is a chef, then he either studies law or skis, but not both.",
        ),
        (
            "surfs(Elyse) ⊕ skis(Elyse) → is_chef(Elyse)",
            "If Elyse either surfs or skis (but not both), then she is a chef.",
        ),
        ("¬watches_documentaries(Elyse)", "Elyse does not watch documentaries."),
        (
            "is_chef(Orion) → surfs(Orion) ∨ skis(Orion)",
            "If Orion is a chef, then he surfs or skis, or both.",
        ),
    ];
    for (fol, want) in cases {
        assert_eq!(realize_plain(&parse(fol).unwrap(), &lx).unwrap(), want, "{fol}");
    }
}

#[test]
fn negation_and_connective_scope_has_one_reading() {
    // The sentences the fidelity issue found with two readings, and the ungrammatical
    // negated perfects, as they read now.
    let lx = lx();
    let cases = [
        (
            "∀x (plays_soccer(x) → ¬fixes_old_clocks(x) ∧ plants_trees(x))",
            "Everyone who plays soccer plants trees and does not fix old clocks.",
        ),
        (
            "∀x (¬fixes_old_clocks(x) ∨ ¬has_library_card(x))",
            "No one both fixes old clocks and has a library card.",
        ),
        (
            "∀x (¬fixes_old_clocks(x) ∧ ¬has_library_card(x))",
            "No one fixes old clocks, and no one has a library card.",
        ),
        ("∀x ¬plants_trees(x)", "No one plants trees."),
        (
            "∀x (¬plants_trees(x) ⊕ ¬learns_spanish(x))",
            "Everyone either plants trees or learns Spanish, but not both.",
        ),
        (
            "¬photographs_wildlife(Xiomara) ∧ learns_spanish(Xiomara)",
            "Xiomara learns Spanish and does not photograph wildlife.",
        ),
        (
            "∀x (teaches_math(x) → ¬has_visited_japan(x) ∧ studies_law(x))",
            "Everyone who teaches math studies law and has not visited Japan.",
        ),
        (
            "∀x (teaches_math(x) → ¬has_experienced_heartbreak(x))",
            "If someone teaches math, then they have not experienced heartbreak.",
        ),
    ];
    for (fol, want) in cases {
        assert_eq!(realize_plain(&parse(fol).unwrap(), &lx).unwrap(), want, "{fol}");
    }
    // Over many problems and every phrasing, no sentence has the shapes that read two
    // ways: a quantifier directly before a negation, a negated item before a positive one
    // in a list (checked where a sentence is one list: facts and conclusions), a negated
    // or compound consequent before "if", a negated perfect with "do". (Pattern checks;
    // the back-parser the fidelity issue asks for is the full proof.)
    let quantified_negation = |s: &str| {
        ["Everyone ", "Every person ", "Each person "].iter().any(|q| {
            s.strip_prefix(q).is_some_and(|rest| {
                ["does not", "do not", "is not", "are not", "has not", "have not"]
                    .iter()
                    .any(|n| rest.starts_with(n))
            })
        })
    };
    let negation_before_positive = |s: &str| {
        let words: Vec<&str> = s.trim_end_matches('.').split([' ', ',']).filter(|w| !w.is_empty()).collect();
        let aux = ["does", "is", "has", "do", "are", "have"];
        words.iter().enumerate().any(|(i, w)| {
            *w == "not" && i > 0 && aux.contains(&words[i - 1]) && {
                let next = words[i + 1..].iter().position(|w| ["and", "or"].contains(w)).map(|j| i + 1 + j);
                next.is_some_and(|j| {
                    // "…, or he does not …" repeats the subject.
                    let j =
                        if words.get(j + 1).is_some_and(|w| ["he", "she"].contains(w)) { j + 1 } else { j };
                    !(words.get(j + 1).is_some_and(|w| aux.contains(w)) && words.get(j + 2) == Some(&"not"))
                        && words.get(j + 1) != Some(&"both")
                })
            }
        })
    };
    let condition_after_compound = |s: &str| {
        s.split_once(" if ").is_some_and(|(head, _)| {
            !head.starts_with("If ")
                && (head.contains(" and ") || head.contains(" or ") || head.contains(" not "))
        })
    };
    let perfect_with_do = |s: &str| {
        s.split(' ').collect::<Vec<_>>().windows(4).any(|w| {
            ["do", "does"].contains(&w[0]) && w[1] == "not" && w[2] == "have" && w[3].ends_with("ed")
        })
    };
    let mut rng = narration_rng(5);
    let mut seen = 0;
    for seed in 0..150 {
        for label in [Label::True, Label::False, Label::Uncertain] {
            let sk = provers::skeleton::generate(
                &spec(5, label),
                &lx.vocabulary(),
                seed,
                &provers::Prover::default(),
            )
            .unwrap();
            for f in sk.premise_formulas().iter().chain([&sk.conclusion]) {
                let s = realize(f, &lx, &mut rng).unwrap();
                seen += 1;
                let one_list = !matches!(f, Formula::Implies(..))
                    && !matches!(f, Formula::Forall(_, b) if matches!(b.as_ref(), Formula::Implies(..)));
                assert!(!quantified_negation(&s), "{s} ({f}): a quantifier before a negation");
                assert!(
                    !(one_list && negation_before_positive(&s)),
                    "{s} ({f}): a negation before a positive item"
                );
                assert!(!condition_after_compound(&s), "{s} ({f}): a compound or negated head before `if`");
                assert!(!perfect_with_do(&s), "{s} ({f}): `do not have` + participle");
            }
        }
    }
    assert!(seen > 5000, "{seen}");
}

#[test]
fn every_shape_has_several_phrasings_that_name_every_predicate() {
    let lx = lx();
    let mut rng = narration_rng(3);
    let mut by_shape: HashMap<Shape, std::collections::HashSet<String>> = HashMap::new();
    for seed in 0..40 {
        let sk = provers::skeleton::generate(
            &spec(6, Label::True),
            &lx.vocabulary(),
            seed,
            &provers::Prover::default(),
        )
        .unwrap();
        for p in &sk.premises {
            let s = realize(&p.formula, &lx, &mut rng).unwrap();
            assert!(s.ends_with('.') && s.chars().next().unwrap().is_uppercase(), "{s}");
            for (name, _) in p.formula.predicates() {
                let phrase = lx.phrase(&name).unwrap();
                let words =
                    [phrase.third(true), phrase.third(false), phrase.plural(true), phrase.plural(false)];
                assert!(words.iter().any(|w| s.contains(w.as_str())), "{s} lacks {name}");
            }
            if let Some(shape) = p.shape {
                by_shape.entry(shape).or_default().insert(s.split(' ').take(2).collect::<Vec<_>>().join(" "));
            }
        }
    }
    assert_eq!(by_shape.len(), 9);
    for (shape, openings) in by_shape {
        assert!(openings.len() >= 3, "{shape:?}: {openings:?}");
    }
}

#[test]
fn negation_has_its_own_phrasings() {
    let lx = lx();
    let mut seen = std::collections::HashSet::new();
    let mut rng = narration_rng(1);
    for _ in 0..60 {
        for fol in ["∀x (surfs(x) → ¬is_chef(x))", "¬skis(Elyse)"] {
            seen.insert(realize(&parse(fol).unwrap(), &lx, &mut rng).unwrap());
        }
    }
    assert!(seen.contains("No one who surfs is a chef."), "{seen:?}");
    assert!(seen.contains("It is not the case that Elyse skis."), "{seen:?}");
    assert!(seen.contains("Elyse does not ski."), "{seen:?}");
}

#[test]
fn outside_the_fragment_is_an_error_not_a_guess() {
    let lx = lx();
    for fol in
        ["∃x (surfs(x))", "surfs(Elyse) ↔ skis(Elyse)", "surfs(Elyse) ∧ skis(Orion)", "unknown_pred(Elyse)"]
    {
        assert!(realize_plain(&parse(fol).unwrap(), &lx).is_err(), "{fol}");
    }
}

fn reverify(record: &datasets::FolRecord) -> provers::verify::Problem {
    provers::verify::problem_from_line(&serde_json::to_string(record).unwrap()).unwrap()
}

#[test]
fn template_records_reverify_and_read_like_proverqa() {
    let lx = lx();
    let prover = provers::Prover::default();
    for (i, label) in [Label::True, Label::False, Label::Uncertain].into_iter().cycle().take(9).enumerate() {
        let (sk, r) = template_problem(&spec(1 + i as u32, label), &lx, &prover, &item(i as u64)).unwrap();
        let problem = reverify(&r);
        assert_eq!(problem.premises.len(), sk.premises.len());
        assert_eq!(prover.label(&problem.premises, problem.conclusion.as_ref().unwrap()).unwrap(), label);
        assert_eq!(problem.expected, Some(label));
        assert!(r.question.starts_with(
            "Based on the above information, is the following statement true, false, or uncertain? "
        ));
        assert!(r.reasoning.ends_with(&format!("The correct option is: {}.", r.answer)), "{}", r.reasoning);
        assert_eq!(r.meta.narration.len(), r.nl2fol.len());
        let sentences: Vec<&str> = r.meta.narration.iter().map(|n| n.sentence.as_str()).collect();
        assert_eq!(r.context, sentences.join(" "), "the context joins the premises in order");
        assert!(
            r.meta.narration.iter().all(|n| n.verified_by == verified_by::PARSER),
            "every template sentence parses back"
        );
        if label != Label::Uncertain {
            assert_eq!(r.meta.steps.len(), 1 + i);
            assert_eq!(r.reasoning.matches("conclusion: ").count(), 1 + i);
        }
        // Every step's premises are context formulas or earlier conclusions.
        let context: Vec<&str> = r.nl2fol.iter().map(|(_, f)| f).collect();
        let mut concluded: Vec<&str> = Vec::new();
        for step in &r.meta.steps {
            for p in &step.premises {
                assert!(context.contains(&p.as_str()) || concluded.contains(&p.as_str()), "{p}");
            }
            concluded.push(&step.conclusion);
        }
    }
}

/// A scripted model that narrates `f` as the template sentence of `lie(f)` and
/// back-translates honestly (it remembers which formula each sentence came from).
fn scripted(lie: impl Fn(&Formula, usize) -> Formula + Send + Sync + 'static) -> Arc<llm::ScriptedModel> {
    scripted_in(lie, |s| s)
}

/// A scripted narrator that says `lie(formula)` in the template English, restyled by
/// `style` (to step outside the back-parser's grammar), and translates its own sentences
/// back faithfully.
fn scripted_in(
    lie: impl Fn(&Formula, usize) -> Formula + Send + Sync + 'static,
    style: fn(String) -> String,
) -> Arc<llm::ScriptedModel> {
    let lx = lx();
    let said: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let calls: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    Arc::new(llm::ScriptedModel::from_fn(move |req| {
        let prompt = &req.messages[0].content;
        let field = |key: &str| prompt.lines().find_map(|l| l.strip_prefix(key)).unwrap().trim().to_string();
        if prompt.starts_with("Write one English sentence") {
            let fol = field("Formula:");
            let n = {
                let mut c = calls.lock().unwrap();
                let n = c.entry(fol.clone()).or_default();
                *n += 1;
                *n
            };
            let told = lie(&parse(&fol).unwrap(), n);
            let sentence = style(realize_plain(&told, &lx).unwrap());
            said.lock().unwrap().insert(sentence.clone(), told.to_string());
            sentence
        } else {
            let sentence = field("Sentence:");
            said.lock().unwrap().get(&sentence).cloned().unwrap_or_else(|| "garbage(".into())
        }
    }))
}

/// Negates the first atom of a formula: a small, plausible lie.
fn flip_first_atom(f: &Formula) -> Formula {
    fn go(f: &Formula, done: &mut bool) -> Formula {
        if *done {
            return f.clone();
        }
        match f {
            Formula::Pred(..) => {
                *done = true;
                Formula::not(f.clone())
            }
            Formula::Not(a) if matches!(**a, Formula::Pred(..)) => {
                *done = true;
                (**a).clone()
            }
            Formula::Forall(v, b) => Formula::forall(v, go(b, done)),
            Formula::Implies(a, b) => {
                let a = go(a, done);
                Formula::implies(a, go(b, done))
            }
            Formula::And(ops) => Formula::And(ops.iter().map(|o| go(o, done)).collect()),
            Formula::Or(ops) => Formula::Or(ops.iter().map(|o| go(o, done)).collect()),
            Formula::Xor(ops) => Formula::Xor(ops.iter().map(|o| go(o, done)).collect()),
            other => other.clone(),
        }
    }
    go(f, &mut false)
}

fn narrator(model: Arc<llm::ScriptedModel>) -> LlmNarrator {
    LlmNarrator::new(model, Arc::new(crate::Prompts::embedded().unwrap()), provers::Prover::default())
        .with_attempts(2)
}

#[tokio::test]
async fn honest_llm_sentences_in_the_template_english_are_read_by_the_back_parser() {
    let lx = lx();
    let model = scripted(|f, _| f.clone());
    let n = narrator(model.clone());
    let prover = provers::Prover::default();
    let (sk, r, stats) = llm_problem(&spec(3, Label::True), &lx, &prover, &n, &item(5)).await.unwrap();
    assert_eq!((stats.accepted as usize, stats.parsed as usize), (sk.premises.len(), sk.premises.len()));
    assert!(r.meta.narration.iter().all(|x| x.verified_by == verified_by::PARSER && x.attempts == Some(1)));
    assert_eq!(model.calls(), sk.premises.len(), "no back-translation call");
}

#[tokio::test]
async fn honest_llm_sentences_are_accepted_after_backtranslation() {
    let lx = lx();
    // "!" for ".": outside the back-parser's grammar, so the model translates back.
    let model = scripted_in(|f, _| f.clone(), |s| s.replace('.', "!"));
    let n = narrator(model.clone());
    let prover = provers::Prover::default();
    let (sk, r, stats) = llm_problem(&spec(3, Label::True), &lx, &prover, &n, &item(5)).await.unwrap();
    assert_eq!(stats.accepted as usize, sk.premises.len());
    assert_eq!(stats.fallbacks, 0);
    assert!(r.meta.narration.iter().all(|x| x.verified_by == verified_by::LLM && x.attempts == Some(1)));
    assert_eq!(model.calls(), 2 * sk.premises.len());
    let problem = reverify(&r);
    assert_eq!(prover.label(&problem.premises, problem.conclusion.as_ref().unwrap()).unwrap(), Label::True);
}

#[tokio::test]
async fn a_lying_narrator_is_caught_and_replaced_by_the_template() {
    let lx = lx();
    let model = scripted(|f, _| flip_first_atom(f));
    let prover = provers::Prover::default();
    let (sk, r, stats) =
        llm_problem(&spec(4, Label::False), &lx, &prover, &narrator(model), &item(9)).await.unwrap();
    assert_eq!(stats.accepted, 0);
    assert_eq!(stats.fallbacks as usize, sk.premises.len());
    let mut rng = narration_rng(9);
    let templates = template_texts(&sk, &lx, &prover, &mut rng).unwrap();
    for n in &r.meta.narration {
        assert_eq!(n.verified_by, verified_by::FALLBACK);
        assert!(templates.iter().any(|t| t.sentence == n.sentence), "a lie survived: {}", n.sentence);
    }
    let problem = reverify(&r);
    assert_eq!(prover.label(&problem.premises, problem.conclusion.as_ref().unwrap()).unwrap(), Label::False);
}

#[tokio::test]
async fn a_narrator_that_lies_once_is_accepted_on_retry() {
    let lx = lx();
    let model = scripted(|f, call| if call == 1 { flip_first_atom(f) } else { f.clone() });
    let prover = provers::Prover::default();
    let (sk, r, stats) =
        llm_problem(&spec(2, Label::Uncertain), &lx, &prover, &narrator(model.clone()), &item(2))
            .await
            .unwrap();
    assert_eq!(stats.accepted as usize, sk.premises.len());
    // The lie reads one way, not the formula's: rejected without a back-translation call.
    assert!(r.meta.narration.iter().all(|x| x.verified_by == verified_by::PARSER && x.attempts == Some(2)));
    assert_eq!(model.calls(), 2 * sk.premises.len());
}

#[tokio::test]
async fn model_errors_fail_the_problem() {
    let lx = lx();
    let model = Arc::new(llm::ScriptedModel::new(Vec::<String>::new()));
    let prover = provers::Prover::default();
    let err = llm_problem(&spec(2, Label::True), &lx, &prover, &narrator(model), &item(1)).await.unwrap_err();
    assert!(matches!(err, FolError::Llm(_)), "{err}");
}

#[test]
fn the_back_parser_finds_every_reading_where_english_has_several() {
    let lx = lx();
    let bp = lx.parser();
    for two in [
        "Anyone who plays soccer does not fix old clocks and plants trees.",
        "Everyone does not fix old clocks or does not have a library card, or both.",
        "Xiomara does not photograph wildlife and learns Spanish.",
        "Xiomara does not photograph wildlife if she learns Spanish.",
    ] {
        assert!(bp.readings(two).len() >= 2, "{two}: {:?}", bp.readings(two));
    }
    let one = bp.parse("Xiomara learns Spanish and does not photograph wildlife.").unwrap();
    assert_eq!(one, parse("learns_spanish(Xiomara) ∧ ¬photographs_wildlife(Xiomara)").unwrap());
    assert!(bp.readings("Xiomara juggles.").is_empty());
}

#[test]
fn every_template_sentence_has_one_reading_equivalent_to_its_formula() {
    let lx = lx();
    let bp = lx.parser();
    let prover = provers::Prover::default();
    let mut rng = narration_rng(9);
    let (mut sentences, mut shapes, mut negated) = (0, std::collections::HashSet::new(), 0);
    'outer: for seed in 0..400 {
        for label in [Label::True, Label::False, Label::Uncertain] {
            let sk = provers::skeleton::generate(&spec(4, label), &lx.vocabulary(), seed, &prover).unwrap();
            let formulas = sk.premises.iter().map(|p| (&p.formula, p.shape)).chain([(&sk.conclusion, None)]);
            for (f, shape) in formulas {
                let s = realize(f, &lx, &mut rng).unwrap();
                let readings = bp.readings(&s);
                assert_eq!(readings.len(), 1, "{s} ({f}) has readings {readings:?}");
                assert!(prover.equivalent(&readings[0], f).unwrap(), "{s}: parsed {} for {f}", readings[0]);
                sentences += 1;
                shapes.extend(shape);
                negated += usize::from(f.to_string().contains('¬'));
                if sentences >= 10_000 {
                    break 'outer;
                }
            }
        }
    }
    assert_eq!(sentences, 10_000);
    assert_eq!(shapes.len(), 9, "{shapes:?}");
    assert!(negated > 2_000, "{negated}");
}

#[test]
fn relational_frames_read_back_one_way_and_name_their_people() {
    let lx = lx();
    let cases = [
        ("trusts(Elyse, Orion)", "Elyse trusts Orion."),
        ("∃y trusts(Elyse, y)", "Elyse trusts someone."),
        ("∃x (trusts(x, Orion) ∧ surfs(x))", "Someone who surfs trusts Orion."),
        (
            "∀x ∀y (trusts(x, y) ∧ surfs(x) → ¬skis(y))",
            "If someone who surfs trusts a person, then that person does not ski.",
        ),
        ("∀x (∃y (trusts(x, y) ∧ surfs(y)) → skis(x))", "Everyone who trusts someone who surfs skis."),
        ("∀x (∃y (trusts(x, y) ∧ surfs(y)) → ¬skis(x))", "No one who trusts someone who surfs skis."),
        ("∀x (surfs(x) → ∃y trusts(x, y))", "Everyone who surfs trusts at least one person."),
        ("∀x (∃y (trusts(x, y)) → skis(x))", "Everyone who trusts someone skis."),
        ("∀x (surfs(x) ↔ skis(x))", "A person surfs if and only if they ski."),
        (
            "∀x ∀y (lives_next_to(x, y) → lives_next_to(y, x))",
            "If one person lives next to another, then the other lives next to the first.",
        ),
        (
            "∀x ∀y ∀z (is_older_than(x, y) ∧ is_older_than(y, z) → is_older_than(x, z))",
            "If one person is older than a second, and the second is older than a third, then the first is older than the third.",
        ),
    ];
    for (fol, want) in cases {
        let f = parse(fol).unwrap();
        let text = realize_plain(&f, &lx).unwrap();
        assert_eq!(text, want, "{fol}");
        assert_eq!(lx.parser().readings(&text), vec![f], "{text}");
    }
}

#[test]
fn relation_phrases_never_overlap_predicates_or_each_other() {
    let lx = lx();
    let preds: Vec<String> = lx.phrases().iter().map(|p| p.singular.clone()).collect();
    let mut names: Vec<&str> = lx.phrases().iter().map(|p| p.name.as_str()).collect();
    for r in lx.relations() {
        for p in &preds {
            assert!(
                !p.starts_with(&format!("{} ", r.third)) && !r.third.starts_with(&format!("{p} ")),
                "{r:?} / {p}"
            );
        }
        names.push(&r.name);
        assert!(matches!(r.only.as_deref(), None | Some("symmetric" | "transitive")), "{r:?}");
    }
    let unique: std::collections::HashSet<&&str> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "a relation's FOL name is also a predicate's");
}

#[test]
fn relational_records_reverify_and_every_sentence_parses_back() {
    let lx = lx();
    let prover = provers::Prover::default();
    for (i, label) in [Label::True, Label::False, Label::Uncertain].into_iter().cycle().take(24).enumerate() {
        let spec = spec(1 + (i as u32 % 8), label);
        let (_, r) = template_problem_in(Logic::Relational, &spec, &lx, &prover, &item(i as u64)).unwrap();
        let problem = reverify(&r);
        assert_eq!(prover.label(&problem.premises, problem.conclusion.as_ref().unwrap()).unwrap(), label);
        for n in &r.meta.narration {
            assert_eq!(n.verified_by, verified_by::PARSER, "{} / {}", n.sentence, n.fol);
        }
        // The reasoning names the individuals each step uses.
        for step in &r.meta.steps {
            for f in step.premises.iter().chain([&step.conclusion]) {
                for c in parse(f).unwrap().constants() {
                    assert!(r.reasoning.contains(&c), "{c} of {f} is not in the reasoning:\n{}", r.reasoning);
                }
            }
        }
    }
}
