//! The words of `gen fol`: people (with pronouns) and predicates (verb phrases), and the
//! FOL names they go by. The built-in lists live in `predicates.txt` and `people.txt`.

use super::backparse::BackParser;
use super::relational::RelPhrase;
use provers::skeleton::Vocabulary;
use provers::skeleton::relational::RelVocabulary;
use std::collections::HashMap;
use std::sync::Arc;

const PREDICATES: &str = include_str!("predicates.txt");
const PEOPLE: &str = include_str!("people.txt");
const RELATIONS: &str = include_str!("relations.txt");

/// A predicate as English: "plays the violin" / "play the violin".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// The FOL name, e.g. `plays_violin`.
    pub name: String,
    /// Third person singular: "plays the violin", "is a doctor".
    pub singular: String,
    /// Base form: "play the violin", "be a doctor".
    pub base: String,
    /// A present perfect ("has visited Japan"): negated "has not visited Japan", never
    /// "does not have visited Japan".
    pub perfect: bool,
}

/// Past participles that do not end in -ed, for telling "has won an award" (perfect)
/// from "has a garden" (possession).
const IRREGULAR_PARTICIPLES: [&str; 16] = [
    "won", "been", "seen", "done", "gone", "made", "met", "taken", "written", "given", "flown", "sung",
    "run", "grown", "known", "built",
];

impl Phrase {
    pub fn new(singular: &str) -> Phrase {
        let singular = singular.trim().to_string();
        let (verb, rest) = singular.split_once(' ').unwrap_or((singular.as_str(), ""));
        let base_verb = match verb {
            "is" => "be".to_string(),
            "has" => "have".to_string(),
            "does" => "do".to_string(),
            "goes" => "go".to_string(),
            v if v.ends_with("ies") => format!("{}y", &v[..v.len() - 3]),
            v if ["ches", "shes", "sses", "xes", "zes"].iter().any(|s| v.ends_with(s)) => {
                v[..v.len() - 2].to_string()
            }
            v => v.strip_suffix('s').unwrap_or(v).to_string(),
        };
        let base = if rest.is_empty() { base_verb } else { format!("{base_verb} {rest}") };
        let name = singular
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !["a", "an", "the", "s"].contains(w))
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join("_");
        let perfect = verb == "has"
            && rest
                .split(' ')
                .next()
                .is_some_and(|w| w.ends_with("ed") || IRREGULAR_PARTICIPLES.contains(&w));
        Phrase { name, singular, base, perfect }
    }

    /// "visited Japan" of "has visited Japan", for a present perfect.
    fn participle(&self) -> Option<&str> {
        self.singular.strip_prefix("has ").filter(|_| self.perfect)
    }

    fn copula(&self) -> Option<&str> {
        self.singular.strip_prefix("is ")
    }

    /// "plays the violin" / "does not play the violin".
    pub fn third(&self, positive: bool) -> String {
        match (positive, self.copula(), self.participle()) {
            (true, _, _) => self.singular.clone(),
            (false, Some(rest), _) => format!("is not {rest}"),
            (false, None, Some(done)) => format!("has not {done}"),
            (false, None, None) => format!("does not {}", self.base),
        }
    }

    /// After "they": "play the violin" / "do not play the violin", "are a doctor".
    pub fn plural(&self, positive: bool) -> String {
        match (positive, self.copula()) {
            (true, Some(rest)) => format!("are {rest}"),
            (true, None) => self.base.clone(),
            (false, Some(rest)) => format!("are not {rest}"),
            (false, None) => match self.participle() {
                Some(done) => format!("have not {done}"),
                None => format!("do not {}", self.base),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    /// "she" or "he".
    pub pronoun: String,
}

/// Names and phrases; the FOL uses `Phrase::name` for predicates and `Person::name` for
/// individuals.
#[derive(Debug, Clone)]
pub struct Lexicon {
    phrases: Vec<Phrase>,
    people: Vec<Person>,
    by_name: HashMap<String, usize>,
    person_by_name: HashMap<String, usize>,
    relations: Vec<RelPhrase>,
    /// The parser of the template English over these words.
    parser: Arc<BackParser>,
}

impl Lexicon {
    pub fn builtin() -> Lexicon {
        let lines = |text: &'static str| {
            text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect::<Vec<_>>()
        };
        let phrases = lines(PREDICATES).into_iter().map(Phrase::new).collect();
        let people = lines(PEOPLE)
            .into_iter()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, p)| Person { name: n.to_string(), pronoun: p.trim().to_string() })
            .collect();
        let relations = lines(RELATIONS).into_iter().map(RelPhrase::new).collect();
        Lexicon::new(phrases, people, relations)
    }

    pub fn new(phrases: Vec<Phrase>, people: Vec<Person>, relations: Vec<RelPhrase>) -> Lexicon {
        let by_name = phrases.iter().enumerate().map(|(i, p)| (p.name.clone(), i)).collect();
        let person_by_name = people.iter().enumerate().map(|(i, p)| (p.name.clone(), i)).collect();
        let parser = Arc::new(BackParser::new(&phrases, &people, &relations));
        Lexicon { phrases, people, by_name, person_by_name, relations, parser }
    }

    /// The names the relational generator draws from.
    pub fn rel_vocabulary(&self) -> RelVocabulary {
        RelVocabulary {
            predicates: self.phrases.iter().map(|p| p.name.clone()).collect(),
            relations: self.relations.iter().map(|r| r.name.clone()).collect(),
            only: self.relations.iter().filter_map(|r| Some((r.name.clone(), r.only.clone()?))).collect(),
            individuals: self.people.iter().map(|p| p.name.clone()).collect(),
        }
    }

    pub fn relation(&self, name: &str) -> Option<&RelPhrase> {
        self.relations.iter().find(|r| r.name == name)
    }

    pub fn relations(&self) -> &[RelPhrase] {
        &self.relations
    }

    /// The back-parser of the template English over this lexicon.
    pub fn parser(&self) -> &BackParser {
        &self.parser
    }

    /// The names the skeleton generator draws from.
    pub fn vocabulary(&self) -> Vocabulary {
        Vocabulary {
            predicates: self.phrases.iter().map(|p| p.name.clone()).collect(),
            individuals: self.people.iter().map(|p| p.name.clone()).collect(),
        }
    }

    pub fn phrase(&self, name: &str) -> Option<&Phrase> {
        self.by_name.get(name).map(|&i| &self.phrases[i])
    }

    pub fn person(&self, name: &str) -> Option<&Person> {
        self.person_by_name.get(name).map(|&i| &self.people[i])
    }

    pub fn phrases(&self) -> &[Phrase] {
        &self.phrases
    }

    pub fn people(&self) -> &[Person] {
        &self.people
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn phrases_conjugate() {
        let p = Phrase::new("plays the violin");
        assert_eq!((p.name.as_str(), p.base.as_str()), ("plays_violin", "play the violin"));
        assert_eq!(p.third(false), "does not play the violin");
        assert_eq!(p.plural(true), "play the violin");
        let d = Phrase::new("is a doctor");
        assert_eq!(
            (d.third(false), d.plural(true), d.plural(false)),
            ("is not a doctor".into(), "are a doctor".into(), "are not a doctor".into())
        );
        assert_eq!(Phrase::new("studies law").base, "study law");
        assert_eq!(Phrase::new("watches documentaries").base, "watch documentaries");
        assert_eq!(Phrase::new("has a driver's license").name, "has_driver_license");
        let v = Phrase::new("has visited Japan");
        assert_eq!(
            (v.third(false), v.plural(true), v.plural(false)),
            ("has not visited Japan".into(), "have visited Japan".into(), "have not visited Japan".into())
        );
        assert_eq!(Phrase::new("has won an award").third(false), "has not won an award");
        assert_eq!(Phrase::new("has a garden").third(false), "does not have a garden");
    }

    #[test]
    fn builtin_names_are_unique_and_parse() {
        let lx = Lexicon::builtin();
        assert!(lx.phrases().len() >= 140 && lx.people().len() >= 50);
        assert_eq!(lx.by_name.len(), lx.phrases().len(), "duplicate predicate names");
        assert_eq!(lx.person_by_name.len(), lx.people().len(), "duplicate people");
        for p in lx.phrases() {
            let f = provers::parse(&format!("{}(Elyse)", p.name)).unwrap();
            assert_eq!(f.predicates()[0].0, p.name);
        }
        assert!(lx.people().iter().all(|p| p.pronoun == "she" || p.pronoun == "he"));
    }
}
